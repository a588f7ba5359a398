/**
 * `npm run fuzz`: every fuzz property at full size (over 100,000 cases in
 * all), each from a fixed seed that is printed, so a failure replays exactly.
 * Only typed errors, no hang (a case taking over 10 s fails), no crash (the
 * process must reach its summary).
 *
 * Env: FUZZ_SEED (base seed; property i runs from FUZZ_SEED + i; default
 * 20261125), FUZZ_SCALE (a factor on every property's run count, default 1),
 * FUZZ_ONLY (run the properties whose name contains it), FUZZ_PATH (with
 * FUZZ_ONLY and the seed fast-check reported: replay one failing case).
 *
 * Run: `deno run -A fuzz/fuzz.ts`, `bun fuzz/fuzz.ts`.
 */
import { properties } from "./properties.ts";
import { requestProperties } from "./request_properties.ts";

const process = (globalThis as unknown as {
  process: { env: Record<string, string | undefined>; exit(code: number): never };
}).process;
const env = process.env;
const baseSeed = Number(env.FUZZ_SEED ?? 20261125);
const scale = Number(env.FUZZ_SCALE ?? 1);
const only = env.FUZZ_ONLY;
const isBun = "Bun" in globalThis;
const runtime = isBun
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;

const describe = (e: unknown): string => e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);

const all = [...properties, ...requestProperties];
let cases = 0;
let failed = 0;
console.log(`fuzz on ${runtime}, base seed ${baseSeed}, scale ${scale}`);
for (const [i, property] of all.entries()) {
  if (only !== undefined && !property.name.includes(only)) continue;
  const seed = baseSeed + i;
  const runs = Math.max(1, Math.round(property.runs * scale));
  const started = performance.now();
  try {
    const note = await property.run(runs, seed, env.FUZZ_PATH);
    cases += runs;
    const ms = performance.now() - started;
    console.log(
      `  ok   ${String(runs).padStart(6)} cases  seed ${seed}  ${(ms / 1000).toFixed(1)} s  ${property.name}`,
    );
    if (note) console.log(`       note: ${note}`);
  } catch (error) {
    failed++;
    console.log(`  FAIL ${String(runs).padStart(6)} cases  seed ${seed}  ${property.name}`);
    const cause = error instanceof Error && error.cause !== undefined ? `\nCaused by: ${describe(error.cause)}` : "";
    console.log(`${error instanceof Error ? error.message : error}${cause}`.replace(/^/gm, "       "));
  }
}
console.log(`fuzz: ${cases} cases passed, ${failed} ${failed === 1 ? "property" : "properties"} failed`);
if (failed > 0) process.exit(1);
