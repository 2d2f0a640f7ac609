import { trace, type Span, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueueBackend } from "../backend";
import { BACKENDS } from "@/test/helpers/queueBackends";
import { createTestDatabase, redisConnection } from "@/test/helpers/testDb";

/** A tracer provider that only remembers span names: enough to see BullMQ's hook fire. */
function recordingProvider(names: string[]): TracerProvider {
  const span = (): Span =>
    ({
      spanContext: () => ({ traceId: "0".repeat(31) + "1", spanId: "0".repeat(15) + "1", traceFlags: 1 }),
      setAttribute() { return this; },
      setAttributes() { return this; },
      addEvent() { return this; },
      addLink() { return this; },
      addLinks() { return this; },
      setStatus() { return this; },
      updateName() { return this; },
      end() {},
      isRecording: () => true,
      recordException() {},
    }) as unknown as Span;
  const tracer = {
    startSpan(name: string) {
      names.push(name);
      return span();
    },
  } as unknown as Tracer;
  return { getTracer: () => tracer };
}

describe.each(BACKENDS)("OpenTelemetry tracing on %s", (kind) => {
  const names: string[] = [];
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    testDb = await createTestDatabase();
    trace.setGlobalTracerProvider(recordingProvider(names));
  });
  afterAll(async () => {
    trace.disable();
    await testDb.drop();
  });

  const backend = (tracing: boolean) =>
    kind === "redis"
      ? createQueueBackend({ kind, redis: redisConnection(), prefix: `{otel${tracing ? 1 : 0}${Date.now()}}`, tracing })
      : createQueueBackend({ kind, postgres: { connectionString: testDb.url, schema: "bullmq" }, tracing });

  async function runOneJob(tracing: boolean): Promise<void> {
    const b = backend(tracing);
    const queue = b.createQueue<{ n: number }>(`otel-${tracing}`);
    await new Promise<void>((resolve) => {
      const worker = b.createWorker<{ n: number }>(`otel-${tracing}`, async () => {
        setImmediate(() => void worker.close().then(resolve));
      });
      void queue.add("traced", { n: 1 });
    });
    await queue.close();
  }

  it("emits no spans by default and spans for add and process when OTEL_TRACING is on", async () => {
    await runOneJob(false);
    expect(names).toEqual([]);
    await runOneJob(true);
    expect(names.some((n) => n.includes("add"))).toBe(true);
    expect(names.some((n) => n.includes("process"))).toBe(true);
  });
});
