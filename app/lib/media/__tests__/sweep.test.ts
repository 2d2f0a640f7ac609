import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingestImageBytes, mediaDeps, placePreparedImage, prepareImageBytes } from "@/app/lib/media/ingest";
import { mediaFile, thumbnailFile, tempFile } from "@/app/lib/media/store";
import { sweepOrphanMedia } from "@/app/lib/media/sweep";
import { tinyPng } from "@/test/helpers/png";
import { createTestContext, createTestUser, type TestContext } from "@/test/helpers/testContext";

/** Files a crash or a rollback left without a row go; named and young files stay. */
describe("sweepOrphanMedia", () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await createTestContext("postgres");
  });
  afterAll(async () => {
    await t?.close();
  });

  const age = (file: string, ms: number) => {
    const when = new Date(Date.now() - ms);
    fs.utimesSync(file, when, when);
  };

  it("removes an old file no row names (and its thumbnail and old temp files), keeps the rest", async () => {
    const dataDir = t.ctx.config.dataDir;
    const { user } = await createTestUser(t.ctx);
    const named = await ingestImageBytes(mediaDeps(t.ctx), user.id, tinyPng(4, 4, [1, 1, 1]), "named");
    // Placed, then the process "died" before the row: twice, one old and one young.
    const orphan = await prepareImageBytes(dataDir, tinyPng(4, 4, [2, 2, 2]), "orphan");
    await placePreparedImage(dataDir, orphan);
    const young = await prepareImageBytes(dataDir, tinyPng(4, 4, [3, 3, 3]), "young");
    await placePreparedImage(dataDir, young);
    const staleTemp = tempFile(dataDir);
    fs.writeFileSync(staleTemp, "half an upload");
    for (const f of [mediaFile(dataDir, named.sha256), mediaFile(dataDir, orphan.sha256), staleTemp]) age(f, 2 * 3600_000);

    const swept = await sweepOrphanMedia(t.ctx.database.db, dataDir);
    expect(swept).toEqual({ files: 1, temp: 1 });
    expect(fs.existsSync(mediaFile(dataDir, orphan.sha256))).toBe(false);
    expect(fs.existsSync(thumbnailFile(dataDir, orphan.sha256))).toBe(false);
    expect(fs.existsSync(staleTemp)).toBe(false);
    expect(fs.existsSync(mediaFile(dataDir, named.sha256))).toBe(true);
    expect(fs.existsSync(mediaFile(dataDir, young.sha256))).toBe(true);
  });

  it("an old orphan file reused by a new upload is fresh again, so it is not swept", async () => {
    const dataDir = t.ctx.config.dataDir;
    const old = await prepareImageBytes(dataDir, tinyPng(4, 4, [4, 4, 4]), "old");
    await placePreparedImage(dataDir, old);
    age(mediaFile(dataDir, old.sha256), 2 * 3600_000);
    // The same bytes placed again (a request about to name them): the file is touched.
    await placePreparedImage(dataDir, await prepareImageBytes(dataDir, tinyPng(4, 4, [4, 4, 4]), "again"));
    await sweepOrphanMedia(t.ctx.database.db, dataDir);
    expect(fs.existsSync(mediaFile(dataDir, old.sha256))).toBe(true);
  });
});
