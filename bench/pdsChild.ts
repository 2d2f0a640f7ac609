import { startTestPds } from "@/test/helpers/pds";

/**
 * The local PDS in a process of its own, for bench/pdsProcess.ts: a real PDS is a server
 * somewhere else, so the benchmark's client (PostMore, or the raw client) must not share
 * its event loop. Answers createAccount / listPosts over the IPC channel.
 */
interface Request {
  id: number;
  op: "createAccount" | "listPosts";
  arg: string;
}

async function main() {
  const pds = await startTestPds();
  const send = (msg: unknown) => process.send!(msg);
  process.on("message", (req: Request) => {
    const work = req.op === "createAccount" ? pds.createAccount(req.arg) : pds.listPosts(req.arg);
    work.then(
      (value) => send({ id: req.id, value }),
      (err: unknown) => send({ id: req.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The parent going away (or closing the channel) stops the PDS and removes its files.
  process.once("disconnect", () => void pds.close().finally(() => process.exit(0)));
  send({ ready: pds.url, env: pds.env });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
