import "server-only";
import { headers } from "next/headers";
import { initApp } from "../startup";
import { readSessionCookie } from "./cookies";
import { userFromSession } from "./sessions";
import type { PublicUser } from "./users";

/** The signed-in user of a server-rendered page, from the session cookie. */
export async function pageUser(): Promise<PublicUser | undefined> {
  const ctx = initApp();
  const token = readSessionCookie(ctx.config, (await headers()).get("cookie"));
  return token ? userFromSession(ctx, token) : undefined;
}
