/** True for an IANA time zone name this runtime knows (UTC, Europe/Berlin, …). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
