import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

/** Home is the posts list: what is coming and what went out. */
export default function Home() {
  redirect("/posts");
}
