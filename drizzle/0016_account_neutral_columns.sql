-- Platform-neutral names for what every platform's account has (issue 15): the account's id on
-- its platform (a DID on Bluesky, an account id on Mastodon) and its instance URL (the PDS, the
-- Mastodon server). Renames keep every row and the unique index's contents.
ALTER TABLE "social_accounts" RENAME COLUMN "did" TO "remote_id";--> statement-breakpoint
ALTER TABLE "social_accounts" RENAME COLUMN "service" TO "instance_url";--> statement-breakpoint
ALTER INDEX "social_accounts_owner_did_key" RENAME TO "social_accounts_owner_remote_id_key";
