/**
 * One test API for `deno test` and `bun test`:
 *  - under Deno: `Deno.test` with the op and resource sanitizers ON (a leak fails the test);
 *  - under Bun: `node:test`, which Bun backs with bun:test.
 * (`node:test` under Deno would skip the sanitizers: docs/runtimes.md, "Test runners".)
 */
import { test as nodeTest } from "node:test";

export type TestFn = () => void | Promise<void>;

interface DenoTest {
  test(def: { name: string; fn: TestFn; sanitizeOps: boolean; sanitizeResources: boolean; ignore?: boolean }): void;
}
const deno = (globalThis as unknown as { Deno?: DenoTest }).Deno;
const isBun = "Bun" in globalThis;

/**
 * bunfig.toml's `[test] timeout` (30 s) does not reach tests registered through
 * Bun's node:test, which keep a 5 s default: the same bound, given per test.
 */
const BUN_TIMEOUT_MS = 30_000;

/** Registers a test on whichever runner is running. */
export const test = (name: string, fn: TestFn): void => {
  if (deno && !isBun) deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true });
  else nodeTest(name, { timeout: BUN_TIMEOUT_MS }, fn);
};

/**
 * Why a test does not run on one runtime. Every skip names a reason from this
 * list, so a skipped test is a documented fact, not a silent gap.
 */
export type SkipReason =
  | "runtime-lacks-feature" // the runtime has no API for it; the library refuses with a typed error, tested elsewhere
  | "peer-not-installed" // a Debian peer (tinyproxy, nghttpd, nginx) is not on this machine
  | "made-for-the-other-runtime" // the subject is one runtime's own (Elysia is Bun's framework), the comment says why
  | "registry-unreachable" // the npm registry cannot be reached (the packed-install test needs `effect` from it)
  | "no-pty"; // util-linux `script` (a pseudo-terminal for TTY tests) is not on this machine

/** Registers a test only on `only`; on the other runtime it is reported as skipped with its reason. */
export const testOn = (only: "deno" | "bun", reason: SkipReason, name: string, fn: TestFn): void => {
  const here = isBun ? "bun" : "deno";
  if (here === only) test(name, fn);
  else if (deno && !isBun) {
    deno.test({ name: `${name} [skipped: ${reason}]`, fn, sanitizeOps: true, sanitizeResources: true, ignore: true });
  } else nodeTest(`${name} [skipped: ${reason}]`, { skip: reason }, () => {});
};

/** The runtime the suite is running under. */
export const runtimeName: "deno" | "bun" = isBun ? "bun" : "deno";

/** Registers a test when `ready`; otherwise it is reported as skipped with its reason, on both runtimes. */
export const testIf = (ready: boolean, reason: SkipReason, name: string, fn: TestFn): void => {
  if (ready) test(name, fn);
  else if (deno && !isBun) {
    deno.test({ name: `${name} [skipped: ${reason}]`, fn, sanitizeOps: true, sanitizeResources: true, ignore: true });
  } else nodeTest(`${name} [skipped: ${reason}]`, { skip: reason }, () => {});
};
