import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { pageUser } from "../lib/auth/pageUser";
import { NavLinks } from "../components/NavLinks";
import { SignOutButton } from "../signin/SignOutButton";

export const dynamic = "force-dynamic";

/** Every signed-in page: the top bar with navigation; signed-out visitors go to /signin. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const user = await pageUser();
  if (!user) redirect("/signin");
  return (
    <>
      <header className="topbar">
        <a href="/posts" className="brand">
          PostMore
        </a>
        <NavLinks isAdmin={user.role === "admin"} />
        <div className="who">
          <span className="muted" title={`Signed in as ${user.role}`}>
            {user.email}
          </span>
          <SignOutButton />
        </div>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
