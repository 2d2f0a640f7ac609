import { Composer } from "./Composer";

export const metadata = { title: "Compose" };

export default function ComposePage() {
  return <Composer />;
}
