import { AccountsView } from "./AccountsView";

export const metadata = { title: "Accounts" };

export default function AccountsPage() {
  return <AccountsView />;
}
