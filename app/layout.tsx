import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "PostMore",
  description: "Schedule posts. Published on time, exactly once.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/" className="brand">
            PostMore
          </a>
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
