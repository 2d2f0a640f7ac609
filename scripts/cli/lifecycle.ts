import fs from "node:fs";
import path from "node:path";
import { SECRET_FILE, backupFileName, createBackup } from "@/app/lib/lifecycle/backup";
import { backupIfDue, backupsDir } from "@/app/lib/lifecycle/backupSchedule";
import { dataDirState } from "@/app/lib/lifecycle/dataDir";
import { DEFAULT_MIN_FREE_BYTES, formatChecks, runDoctor } from "@/app/lib/lifecycle/doctor";
import { restoreBackup } from "@/app/lib/lifecycle/restore";
import { AppError } from "@/app/lib/errors";
import { initialisedLine, openDatabase, stringOption, type CliCommand } from "./command";

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MB`;

export const backup: CliCommand = {
  name: "backup",
  usage: "[--out FILE]     (default: <data dir>/backups/postmore-<time>.tar.gz; --scheduled: the launcher's, only when due)",
  options: { out: { type: "string" }, scheduled: { type: "boolean" } },
  async run({ config, values }) {
    // A backup reads; it never migrates the database it is copying.
    const { running } = await openDatabase(config, { migrate: false });
    try {
      if (values.scheduled === true) {
        const source = { databaseUrl: running.url, dataDir: config.dataDir, secretFromEnv: config.secret !== undefined };
        const file = await backupIfDue(source, config.backups);
        console.log(file ? `scheduled backup written: ${file}` : "no scheduled backup due");
        return 0;
      }
      const out = stringOption(values, "out") ?? path.join(backupsDir(config.dataDir), backupFileName());
      const { file, bytes, manifest } = await createBackup(
        { databaseUrl: running.url, dataDir: config.dataDir, secretFromEnv: config.secret !== undefined },
        out,
      );
      const rows = manifest.tables.map((t) => `${t.name} ${t.rows}`).join(", ");
      console.log(`backup written: ${file} (${mb(bytes)})`);
      console.log(`  rows: ${rows}`);
      console.log(`  ${manifest.secret.note}`);
      return 0;
    } finally {
      await running.stop();
    }
  },
};

export const restore: CliCommand = {
  name: "restore",
  usage: "FILE [--force]     (into an empty database; --force replaces a non-empty one)",
  options: { force: { type: "boolean" } },
  async run({ config, values, positionals }) {
    const file = positionals[0];
    if (!file) throw new AppError("validation_failed", "name the backup file: npm run cli -- restore FILE");
    if (!fs.existsSync(file)) throw new AppError("not_found", `no backup file at ${path.resolve(file)}`);
    if (dataDirState(config.dataDir, config.databaseUrl) === "running") {
      throw new AppError("conflict", `PostMore is running on ${path.resolve(config.dataDir)}: stop it first (Ctrl-C on npm start), then restore.`);
    }
    const { running, initialised } = await openDatabase(config, { initialise: true, migrate: false });
    try {
      if (initialised) console.log(initialisedLine(config));
      const report = await restoreBackup(
        file,
        {
          databaseUrl: running.url,
          dataDir: config.dataDir,
          envSecret: config.secret,
          bullmqSchema: config.queue.backend === "postgres" ? "bullmq" : false,
        },
        { force: values.force === true },
      );
      const rows = Object.entries(report.rows).map(([t, n]) => `${t} ${n}`).join(", ");
      console.log(`restored ${path.resolve(file)} (made ${report.manifest.createdAt} by PostMore ${report.manifest.app.version})`);
      console.log(`  rows: ${rows}`);
      if (report.secret === "written") console.log(`  credentials key written to ${path.resolve(config.dataDir, SECRET_FILE)}`);
      if (report.secret === "kept") console.log(`  credentials key: ${path.resolve(config.dataDir, SECRET_FILE)} already holds the backup's key`);
      if (report.secret === "from-environment") console.log("  credentials key: from POSTMORE_SECRET (the archive holds none, or the environment wins)");
      for (const w of report.warnings) console.log(`  warning: ${w}`);
      console.log("Start PostMore (npm start): the worker re-queues every pending post.");
      return report.warnings.length > 0 ? 1 : 0;
    } finally {
      await running.stop();
    }
  },
};

export const doctor: CliCommand = {
  name: "doctor",
  usage: "[--min-free-mb N]     (exit code 0 only when every check passes)",
  options: { "min-free-mb": { type: "string" } },
  async run({ config, values }) {
    const minFree = stringOption(values, "min-free-mb");
    if (minFree !== undefined && !/^\d+$/.test(minFree)) throw new AppError("validation_failed", "--min-free-mb takes a whole number of megabytes");
    const state = dataDirState(config.dataDir, config.databaseUrl);
    const { running } = await openDatabase(config, { migrate: false });
    try {
      if (state === "stopped") console.log(`PostMore is not running on ${path.resolve(config.dataDir)}; the database was started for these checks only.\n`);
      const keyFile = path.resolve(config.dataDir, SECRET_FILE);
      const secret = config.secret ?? (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, "utf8").trim() : undefined);
      const checks = await runDoctor({
        config,
        databaseUrl: running.url,
        secret,
        secretSource: config.secret ? "POSTMORE_SECRET" : keyFile,
        minFreeBytes: minFree === undefined ? DEFAULT_MIN_FREE_BYTES : Number(minFree) * 1024 ** 2,
      });
      console.log(formatChecks(checks));
      return checks.every((c) => c.ok) ? 0 : 1;
    } finally {
      await running.stop();
    }
  },
};
