import { z } from "zod";
import type { Db } from "../db/client";
import { findUserByEmail, insertUser } from "../db/queries/users";
import type { User } from "../db/schema";
import { AppError } from "../errors";
import { hashPassword } from "./password";

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email("a valid email address")).pipe(z.string().max(254)),
  password: z.string().min(8, "at least 8 characters").max(1024),
});

export type PublicUser = Pick<User, "id" | "email" | "role">;
export const toPublicUser = (u: User): PublicUser => ({ id: u.id, email: u.email, role: u.role });

export async function createUser(
  db: Db,
  input: { email: string; password: string; role: User["role"] },
): Promise<PublicUser> {
  const parsed = credentialsSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError("validation_failed", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const { email, password } = parsed.data;
  if (await findUserByEmail(db, email)) throw new AppError("conflict", `a user with email ${email} already exists`);
  const user = await insertUser(db, { email, passwordHash: await hashPassword(password), role: input.role });
  if (!user) throw new AppError("conflict", `a user with email ${email} already exists`);
  return toPublicUser(user);
}
