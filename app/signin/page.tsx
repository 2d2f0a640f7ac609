import { redirect } from "next/navigation";
import { pageUser } from "../lib/auth/pageUser";
import { countAdmins } from "../lib/db/queries/users";
import { initApp } from "../lib/startup";
import { SignInForm } from "./SignInForm";

export const metadata = { title: "Sign in" };

export const dynamic = "force-dynamic";

export default async function SignInPage() {
  if (await pageUser()) redirect("/");
  const hasAdmin = (await countAdmins(initApp().database.db)) > 0;
  return (
    <main className="page narrow">
      <p className="brand" style={{ textAlign: "center", fontSize: "1.6rem", margin: "2rem 0 1rem" }}>
        PostMore
      </p>
      <section className="card">
      <h1>Sign in</h1>
      <p className="muted">Schedule posts to Bluesky — published on time, exactly once.</p>
      {!hasAdmin && (
        <div role="note">
          <p>
            <strong>First run:</strong> nobody can sign in yet. Create the first administrator in a terminal, in the
            PostMore folder:
          </p>
          <pre>npm run cli -- create-admin --email you@example.com --password &apos;a long password&apos;</pre>
          <p className="muted">Or start PostMore with ADMIN_EMAIL and ADMIN_PASSWORD set once.</p>
        </div>
      )}
      <SignInForm />
      </section>
    </main>
  );
}
