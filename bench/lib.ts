/**
 * Helpers shared by the benchmark scripts: runtime detection, settings from the
 * environment, drivers, and statistics. Runs unchanged on Deno and Bun (node:
 * built-ins only, so one file serves both).
 *
 * @module
 */
import process from "node:process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

interface BunGlobal {
  readonly version: string;
  readonly revision?: string;
  gc(force: boolean): void;
}
interface DenoGlobal {
  readonly version: { readonly deno: string; readonly v8: string };
}
const g = globalThis as unknown as { Bun?: BunGlobal; Deno?: DenoGlobal; gc?: () => void };

export const isBun = g.Bun !== undefined;
export const runtimeName: "deno" | "bun" = isBun ? "bun" : "deno";
export const runtimeVersion = isBun
  ? `bun ${g.Bun!.version} (${g.Bun!.revision?.slice(0, 9) ?? "?"})`
  : `deno ${g.Deno!.version.deno} (v8 ${g.Deno!.version.v8})`;

export const env = (name: string): string | undefined => process.env[name];
export const envNumber = (name: string, fallback: number): number => {
  const raw = env(name);
  return raw === undefined || raw === "" ? fallback : Number(raw);
};
/** BENCH_SMOKE=1: tiny sizes, one round; only checks that every case still runs. */
export const SMOKE = env("BENCH_SMOKE") === "1";

/** Deno exposes `gc` only with --v8-flags=--expose-gc (run.sh passes it). */
export const gcAvailable = isBun || typeof g.gc === "function";
export const gc: () => void = isBun ? () => g.Bun!.gc(true) : () => g.gc?.();
export const now = (): number => performance.now();
export const rssBytes = (): number => process.memoryUsage.rss();

export const log = (...args: unknown[]): void => console.error(`[${runtimeName}]`, ...args);

// One trip through the event loop. In-process loops otherwise run inside one microtask
// checkpoint, and Deno keeps every WeakRef target (each `new Request` with a signal makes
// one) alive until it ends: the heap grows by hundreds of MiB and later cases slow down.
// A real client returns to the event loop for I/O; these loops do so every YIELD_EVERY calls.
export const YIELD_EVERY = 1_000;
export const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
export const settle = async (): Promise<void> => {
  await macrotask();
  gc();
};

export const rotate = <T>(xs: ReadonlyArray<T>, k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]);

/** A benchmark case: `fn` performs one call and returns the body text it read. */
export interface Case {
  readonly id: string;
  readonly name: string;
  readonly fn: () => Promise<string>;
}

export const BODY = "Hello, World!"; // 13 bytes; server.ts sends the same

const check = (text: string): void => {
  if (text !== BODY) throw new Error(`unexpected body: ${JSON.stringify(text.slice(0, 80))}`);
};

/** `total` calls spread over `conc` closed-loop workers; returns calls/s. */
export const drive = async (fn: () => Promise<string>, total: number, conc: number): Promise<number> => {
  let issued = 0;
  const worker = async () => {
    while (issued < total) {
      issued++;
      check(await fn());
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: conc }, worker));
  return total / ((now() - t0) / 1000);
};

/**
 * `drive`, plus the client's CPU time per call (`process.cpuUsage`, user + system, µs): the steadier
 * figure on a shared machine, where wall-clock throughput moves 15–25% between rounds. The server
 * runs in its own process, so this is the client's cost alone.
 */
export const driveWithCpu = async (
  fn: () => Promise<string>,
  total: number,
  conc: number,
): Promise<{ readonly rate: number; readonly cpuUs: number }> => {
  const before = process.cpuUsage();
  const rate = await drive(fn, total, conc);
  const used = process.cpuUsage(before);
  return { rate, cpuUs: (used.user + used.system) / total };
};

/** `n` sequential awaited calls, yielding to the event loop every YIELD_EVERY; returns calls/s. */
export const driveSeq = async (fn: () => Promise<string>, n: number): Promise<number> => {
  const t0 = now();
  for (let i = 1; i <= n; i++) {
    check(await fn());
    if (i % YIELD_EVERY === 0) await macrotask();
  }
  return n / ((now() - t0) / 1000);
};

/**
 * Runs `cases` interleaved: every round runs each case once, the order rotated by one
 * position per round so that no case always follows the same neighbour.
 */
export const interleave = async (
  label: string,
  cases: ReadonlyArray<Case>,
  rounds: number,
  run: (c: Case) => Promise<number>,
  unit = "calls/s",
): Promise<Record<string, number[]>> => {
  const results: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of rotate(cases, r)) {
      await settle();
      const x = await run(c);
      results[c.id].push(x);
      log(`${label} round ${r + 1}/${rounds} ${c.id.padEnd(5)} ${x.toFixed(0).padStart(9)} ${unit}  ${c.name}`);
    }
  }
  return results;
};

export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const min = (xs: ReadonlyArray<number>): number => Math.min(...xs);
export const max = (xs: ReadonlyArray<number>): number => Math.max(...xs);

export const writeJson = (path: string, value: unknown): void => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n");
  log(`wrote ${path}`);
};
