import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config";
import { runningInstanceUrl } from "../embedded/runtime";
import { logger } from "../logger";
import type { BackupSource } from "./backup";

/**
 * Scheduled backups of the embedded install, under <dataDir>/backups. Driven by the age of the
 * newest scheduled archive rather than a fixed timer, so a PostMore restarted every few hours
 * still backs up once per interval, and one down for a week backs up as soon as it starts.
 */

const log = logger("backups");
const AUTO_PREFIX = "postmore-auto-";
const ARCHIVE = /^postmore-.*\.tar\.gz$/;
const CHECK_EVERY_MS = 15 * 60_000;

export interface BackupScheduleSettings {
  /** 0 turns scheduled backups off. */
  intervalHours: number;
  /** Scheduled archives kept; older ones are deleted (archives made by hand are never deleted). */
  keep: number;
}

export interface BackupFile {
  name: string;
  createdAt: string;
  bytes: number;
  scheduled: boolean;
}

export const backupsDir = (dataDir: string) => path.join(dataDir, "backups");

/** The time in the name (postmore-…-2026-12-01T03-00-00Z.tar.gz) survives a copy; the mtime may not. */
function takenAt(name: string, mtime: Date): string {
  const m = name.match(/(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z/);
  const at = m ? new Date(`${m[1]}T${m[2]}:${m[3]}:${m[4]}Z`) : mtime;
  return (Number.isNaN(at.getTime()) ? mtime : at).toISOString();
}

/** Archives in the backups dir, newest first. */
export function listBackups(dir: string): BackupFile[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => ARCHIVE.test(name))
    .map((name) => {
      const st = fs.statSync(path.join(dir, name));
      return { name, createdAt: takenAt(name, st.mtime), bytes: st.size, scheduled: name.startsWith(AUTO_PREFIX) };
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.name.localeCompare(a.name));
}

export function pruneBackups(dir: string, keep: number): string[] {
  const old = listBackups(dir).filter((b) => b.scheduled).slice(keep);
  for (const b of old) fs.rmSync(path.join(dir, b.name), { force: true });
  return old.map((b) => b.name);
}

/** Whether the newest scheduled archive is older than the interval (or there is none). Reads the backups dir only. */
export function backupDue(dataDir: string, settings: BackupScheduleSettings, now = new Date()): boolean {
  if (settings.intervalHours <= 0) return false;
  const newest = listBackups(backupsDir(dataDir)).find((b) => b.scheduled);
  return !newest || now.getTime() - Date.parse(newest.createdAt) >= settings.intervalHours * 3_600_000;
}

/** Takes a scheduled backup when the newest one is older than the interval. Returns the new file, if any. */
export async function backupIfDue(source: BackupSource, settings: BackupScheduleSettings, now = new Date()): Promise<string | undefined> {
  if (!backupDue(source.dataDir, settings, now)) return undefined;
  const dir = backupsDir(source.dataDir);
  // Loaded only when a backup is due: the launcher that checks the schedule stays free of pg and tar.
  const { backupFileName, createBackup } = await import("./backup");
  const { file, bytes } = await createBackup(source, path.join(dir, backupFileName(now).replace("postmore-", AUTO_PREFIX)));
  const removed = pruneBackups(dir, settings.keep);
  log.info({ file, bytes, removed }, "scheduled backup written");
  return file;
}

export interface BackupSchedule {
  stop(): Promise<void>;
}

/** Checks now, then every 15 minutes, and runs `takeBackup` whenever a backup is due. */
export function startBackupSchedule(dataDir: string, settings: BackupScheduleSettings, takeBackup: () => Promise<unknown>): BackupSchedule {
  if (settings.intervalHours <= 0) return { stop: async () => {} };
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running.then(() =>
      backupDue(dataDir, settings)
        ? takeBackup().catch((err: unknown) => log.error({ err }, "scheduled backup failed; trying again later"))
        : undefined,
    );
  };
  tick();
  const timer = setInterval(tick, CHECK_EVERY_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** What the admin page shows: the archives, and whether (and how) backups are scheduled. */
export function backupsOverview(config: Config) {
  const dir = backupsDir(config.dataDir);
  // `npm start` hands the embedded database to the web process as DATABASE_URL; the runtime
  // file in the data dir says whether that is what this process uses.
  const embedded = config.databaseUrl === undefined || runningInstanceUrl(config.dataDir) === config.databaseUrl;
  return {
    backups: listBackups(dir),
    schedule: {
      enabled: embedded && config.backups.intervalHours > 0,
      embedded,
      intervalHours: config.backups.intervalHours,
      keep: config.backups.keep,
      dir: path.resolve(dir),
    },
  };
}

/**
 * The one call the `npm start` launcher makes once its database is up: scheduled backups when
 * that database is the embedded one (an external DATABASE_URL has its own backup tools).
 * Stop it before stopping the database.
 */
export function startLauncherBackups(
  config: Config,
  database: { url: string; embedded: boolean },
  // The launcher passes a one-shot `cli backup --scheduled` child; the default backs up in this process.
  takeBackup: () => Promise<unknown> = () => backupIfDue({ databaseUrl: database.url, dataDir: config.dataDir, secretFromEnv: config.secret !== undefined }, config.backups),
): BackupSchedule {
  if (!database.embedded) return { stop: async () => {} };
  return startBackupSchedule(config.dataDir, config.backups, takeBackup);
}
