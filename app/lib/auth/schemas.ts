import { z } from "zod";
import { credentialsSchema } from "./users";

/** Request bodies of the auth routes: the routes parse with these, the OpenAPI registry documents them. */

export const signInBody = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });

export const changePasswordBody = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: credentialsSchema.shape.password,
});

export const createApiTokenBody = z.strictObject({
  name: z.string().trim().min(1, "name is required").max(100),
  expiresAt: z.iso.datetime({ offset: true, message: "an ISO 8601 time with offset" }).nullable().optional(),
  /** read: the token may only read (GET); write (default): everything its user may do. */
  scope: z.enum(["read", "write"]).default("write"),
});
