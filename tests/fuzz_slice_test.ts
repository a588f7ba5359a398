/**
 * A fast slice of `npm run fuzz` (fuzz/fuzz.ts): every property, from the
 * same fixed seeds, at 1/40 of its size (about 3,000 cases in all): every
 * public constructor's options, mount keys, routing tables, NO_PROXY and
 * proxy strings, redaction, and the request path (in-process and loopback,
 * both lanes). A failure prints fast-check's seed and path; replay it with
 * `FUZZ_ONLY=<name> FUZZ_SEED=... FUZZ_PATH=... npm run fuzz`.
 */
import { properties } from "../fuzz/properties.ts";
import { requestProperties } from "../fuzz/request_properties.ts";
import { test } from "./harness.ts";

const BASE_SEED = 20261125; // fuzz.ts's default: property i runs from BASE_SEED + i
const SLICE = 40;

for (const [i, property] of [...properties, ...requestProperties].entries()) {
  const runs = Math.ceil(property.runs / SLICE);
  test(`fuzz slice: ${property.name} (${runs} cases, seed ${BASE_SEED + i})`, async () => {
    await property.run(runs, BASE_SEED + i);
  });
}
