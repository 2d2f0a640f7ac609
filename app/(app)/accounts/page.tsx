import { blueskyOAuthMode } from "../../lib/api/bluesky/oauth/metadata";
import { initApp } from "../../lib/startup";
import { AccountsView } from "./AccountsView";

export const metadata = { title: "Accounts" };

export default function AccountsPage() {
  return <AccountsView oauthMode={blueskyOAuthMode(initApp().config)} />;
}
