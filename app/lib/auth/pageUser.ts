import "server-only";
import { cookies } from "next/headers";
import { initApp } from "../startup";
import { SESSION_COOKIE, userFromSession } from "./sessions";
import type { PublicUser } from "./users";

/** The signed-in user of a server-rendered page, from the session cookie. */
export async function pageUser(): Promise<PublicUser | undefined> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return token ? userFromSession(initApp().database.db, token) : undefined;
}
