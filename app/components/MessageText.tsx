import Link from "next/link";
import { Fragment } from "react";

// Server messages name pages in words ("… (Accounts page)"); in the app they become links.
const PAGES: Array<[RegExp, string]> = [
  [/Accounts page/, "/accounts"],
  [/Posts page/, "/posts"],
];

/** A message from the API, with the pages it mentions turned into links. */
export function MessageText({ text }: { text: string }) {
  const parts: Array<string | { label: string; href: string }> = [text];
  for (const [pattern, href] of PAGES) {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (typeof part !== "string") continue;
      const m = pattern.exec(part);
      if (!m) continue;
      parts.splice(i, 1, part.slice(0, m.index), { label: m[0], href }, part.slice(m.index + m[0].length));
    }
  }
  return (
    <>
      {parts.map((p, i) => (typeof p === "string" ? <Fragment key={i}>{p}</Fragment> : <Link key={i} href={p.href}>{p.label}</Link>))}
    </>
  );
}
