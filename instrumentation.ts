/** Next.js calls this once when the server starts: initialise config, database and queues. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { exitIfDatabaseBehind, initApp } = await import("./app/lib/startup");
    await exitIfDatabaseBehind(initApp());
  }
}
