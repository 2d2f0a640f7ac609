import { ApiTokensPanel } from "./ApiTokensPanel";
import { PasswordPanel } from "./PasswordPanel";
import { WebhooksPanel } from "./WebhooksPanel";

export const metadata = { title: "Settings" };

export default function SettingsPage() {
  return (
    <>
      <h1>Settings</h1>
      <PasswordPanel />
      <ApiTokensPanel />
      <WebhooksPanel />
    </>
  );
}
