"use client";

export function SignOutButton() {
  async function signOut() {
    await fetch("/api/auth/signout", { method: "POST" });
    window.location.assign("/signin");
  }
  return (
    <button type="button" className="btn btn-quiet" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
