import { pageUser } from "../../lib/auth/pageUser";
import { AdminDashboard } from "./AdminDashboard";

export const dynamic = "force-dynamic";
export const metadata = { title: "Admin" };

export default async function AdminPage() {
  const user = await pageUser();
  if (user?.role !== "admin") {
    return (
      <section className="card" role="alert" data-testid="forbidden">
        <h1>403 — admins only</h1>
        <p className="muted">
          The queue dashboard is for administrators. You are signed in as {user?.email ?? "a user"}, who is not one. Ask your PostMore
          administrator if you need to see the queues.
        </p>
      </section>
    );
  }
  return <AdminDashboard />;
}
