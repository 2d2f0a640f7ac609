import { redirect } from "next/navigation";
import { pageUser } from "./lib/auth/pageUser";
import { SignOutButton } from "./signin/SignOutButton";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await pageUser();
  if (!user) redirect("/signin");
  return (
    <section className="card">
      <h1>Welcome, {user.email}</h1>
      <p className="muted">
        Signed in as {user.role}. Schedule posts through the API with a personal token:{" "}
        <code>npm run cli -- create-token --email {user.email}</code>
      </p>
      <SignOutButton />
    </section>
  );
}
