import { CalendarView } from "./CalendarView";

export const metadata = { title: "Calendar" };

export default function CalendarPage() {
  return <CalendarView />;
}
