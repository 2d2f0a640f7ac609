import { z } from "zod";
import { listAccounts } from "../accounts/listAccounts";
import type { PublicUser } from "../auth/users";
import type { AppContext } from "../context";
import { rejectUnsafeJson } from "../http/respond";
import { jsonSchema } from "../openapi/document";
import { cancelPost } from "../posts/cancelPost";
import { createPost } from "../posts/createPost";
import { getPost } from "../posts/getPost";
import { listPosts } from "../posts/listPosts";
import { createPostBody, listPostsQuery, updatePostBody } from "../posts/schemas";
import { updatePost } from "../posts/updatePost";

/**
 * The MCP tools: each parses its arguments with the zod schema of the matching REST route and
 * calls the same service, so validation, errors and results are the REST API's.
 */
export interface McpTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments (generated from the same zod schema that parses them). */
  inputSchema: { type: "object"; [key: string]: unknown };
  /** Changes something: needs a read-write token (as the unsafe REST methods do). */
  writes: boolean;
  run(ctx: AppContext, user: PublicUser, args: Record<string, unknown>): Promise<unknown>;
}

const postId = z.strictObject({ id: z.string().min(1, "the post id is required") });
const noArgs = z.strictObject({});

/** The `{id}` plus the body of PATCH /api/posts/{id}: id is split off and the rest parsed by updatePostBody. */
function withId(body: Record<string, unknown>) {
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const required = (body.required ?? []) as string[];
  return { ...body, type: "object" as const, properties: { id: { type: "string", description: "the post id" }, ...props }, required: ["id", ...required] };
}

const objectSchema = (schema: z.ZodType) => ({ ...jsonSchema(schema, "input"), type: "object" as const });

export const mcpTools: McpTool[] = [
  {
    name: "list_accounts",
    writes: false,
    description: "Your connected social accounts (id, platform, handle, status). Use the ids as accountIds when scheduling.",
    inputSchema: objectSchema(noArgs),
    run: async (ctx, user, args) => {
      noArgs.parse(args);
      return { accounts: await listAccounts(ctx, user.id) };
    },
  },
  {
    name: "list_posts",
    writes: false,
    description: "Your posts, newest scheduled first, a page at a time (follow nextCursor). Same filters as GET /api/posts.",
    inputSchema: objectSchema(listPostsQuery),
    run: (ctx, user, args) => listPosts(ctx, user.id, listPostsQuery.parse(args)),
  },
  {
    name: "get_post",
    writes: false,
    description: "One post with each delivery's status and attempt history.",
    inputSchema: objectSchema(postId),
    run: async (ctx, user, args) => ({ post: await getPost(ctx, user.id, postId.parse(args).id) }),
  },
  {
    name: "schedule_post",
    writes: true,
    description:
      "Schedule a post (or a thread) on one or more accounts. scheduledAt is ISO 8601 with an offset; omit it (or publishNow: true) to publish now. Same body as POST /api/posts.",
    inputSchema: objectSchema(createPostBody),
    run: async (ctx, user, args) => ({ post: await createPost(ctx, user.id, createPostBody.parse(args)) }),
  },
  {
    name: "reschedule_post",
    writes: true,
    description: "Move a scheduled post to a new time and/or change its text (the job is moved, never duplicated). Same body as PATCH /api/posts/{id}.",
    inputSchema: withId(jsonSchema(updatePostBody, "input")),
    run: async (ctx, user, args) => {
      const { id, ...changes } = args;
      const target = postId.parse({ id });
      return { post: await updatePost(ctx, user.id, target.id, updatePostBody.parse(changes)) };
    },
  },
  {
    name: "cancel_post",
    writes: true,
    description: "Cancel a post that has not started publishing.",
    inputSchema: objectSchema(postId),
    run: async (ctx, user, args) => ({ post: await cancelPost(ctx, user.id, postId.parse(args).id) }),
  },
];

/** Arguments go through the same unsafe-JSON check as REST bodies before the zod schema. */
export function checkArguments(args: unknown): Record<string, unknown> {
  const value = args ?? {};
  rejectUnsafeJson(value);
  return value as Record<string, unknown>;
}
