import { runPostPipelineBench } from "./postPipeline";
import { runTokenRefreshBench } from "./tokenRefresh";

/** `npm run bench -- <name> [--n 10000] [--backend redis|postgres]`: runs one named benchmark. */
const benches: Record<string, (args: Map<string, string>) => Promise<void>> = {
  "post-pipeline": runPostPipelineBench,
  "token-refresh": runTokenRefreshBench,
};

function parseArgs(argv: string[]): { name: string | undefined; args: Map<string, string> } {
  const args = new Map<string, string>();
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const [k, v] = a.slice(2).split("=");
      args.set(k!, v ?? argv[++i] ?? "");
    } else name ??= a;
  }
  return { name, args };
}

const { name, args } = parseArgs(process.argv.slice(2));
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}> [--n N] [--backend redis|postgres]`);
  process.exit(2);
}
bench(args).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
