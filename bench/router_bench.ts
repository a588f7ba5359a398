/**
 * Router lookup cost against table size: resolving among 10,000 mounts
 * should cost about what resolving among 10 does (goal: within 1.5x).
 *
 * Run: `deno run -A bench/router_bench.ts` or `bun bench/router_bench.ts`.
 * Tables mix exact hosts, wildcard domains, ports, schemes and path
 * prefixes; every table answers the same URL shapes (hits of each kind and
 * misses), so the rows differ only in table size. Sizes are measured in
 * interleaved rounds; the row shows the median ns per resolve and the ratio
 * to the smallest table (median, and min-max over rounds).
 *
 * @module
 */
import { type Router, Router as Routers } from "../router/router.ts";

/**
 * Options for `runRouterBench`.
 *
 * @example
 * ```ts
 * import { type RouterBenchOptions, runRouterBench } from "./router_bench.ts";
 * const quick: RouterBenchOptions = { sizes: [10, 10000], rounds: 3, resolvesPerSample: 50_000 };
 * runRouterBench(quick);
 * ```
 */
export interface RouterBenchOptions {
  /** Table sizes; the first is the baseline. Default `[10, 1000, 10000]`. */
  readonly sizes?: ReadonlyArray<number>;
  /** Interleaved rounds. Default 11. */
  readonly rounds?: number;
  /** Resolves per timed sample. Default 400,000. */
  readonly resolvesPerSample?: number;
  /** Where to print the table; default: nowhere. */
  readonly log?: (line: string) => void;
}

/**
 * One table size's result.
 *
 * @example
 * ```ts
 * import { type RouterBenchRow, runRouterBench } from "./router_bench.ts";
 * const [base, big]: RouterBenchRow[] = runRouterBench({ sizes: [10, 10000], rounds: 3 });
 * console.log(`${big.mounts} mounts: ${big.ratio.toFixed(2)}x the cost of ${base.mounts}`);
 * ```
 */
export interface RouterBenchRow {
  /** `deno` or `bun`. */
  readonly runtime: string;
  /** How many mount keys the table has. */
  readonly mounts: number;
  /** Median nanoseconds per `resolve`. */
  readonly medianNs: number;
  /** `medianNs` over the baseline's. */
  readonly ratio: number;
  /** Smallest per-round ratio to the baseline. */
  readonly ratioMin: number;
  /** Largest per-round ratio to the baseline. */
  readonly ratioMax: number;
}

const pad = (i: number): string => String(i).padStart(5, "0");

/** The keys of one "slot" `k`: an exact host (two schemes), two wildcards, two ports, a path, a scheme+wildcard. */
const slot = (k: string): string[] => [
  `all://svc${k}.example.com`,
  `https://svc${k}.example.com`,
  `all://*.tenant${k}.example.org`,
  `all://*corp${k}.example.net`,
  `all://*:${10000 + Number(k)}`,
  `https://svc${k}.example.com:8443`,
  `https://api.example.com/v${k}`,
  `http://*.svc${k}.example.com`,
];

/**
 * `size` realistic keys. Slot 0 (the keys the queries hit) and two catch-alls come first, so every
 * table answers every query the same way; larger tables add slots 1, 2, ... around them.
 */
const table = (size: number): Array<[string, number]> => {
  const keys = ["all://", "all://localhost", ...slot(pad(0))];
  for (let i = 1; keys.length < size; i++) keys.push(...slot(pad(i)));
  return keys.slice(0, size).map((key, i) => [key, i]);
};

/** The same URL shapes for every table: hits of each kind (on keys every table has), and misses. */
const queries = (): URL[] =>
  [
    "https://svc00000.example.com/users/1",
    "http://svc00000.example.com/",
    "https://a.tenant00000.example.org/x",
    "https://corp00000.example.net/",
    "https://www.corp00000.example.net/",
    "https://svc00000.example.com:8443/",
    "http://any.host.test:10000/",
    "https://api.example.com/v00000/items",
    "http://a.svc00000.example.com/",
    "http://localhost:3000/",
    "https://www.google.com/search",
    "https://deep.sub.domain.of.some.site.test/a/b/c",
    "http://10.1.2.3/",
    "https://[2001:db8::1]/",
    "https://svc99999.example.com/",
    "https://cdn.assets.example.org/img.png",
  ].map((u) => new URL(u));

const time = (router: Router<number>, urls: ReadonlyArray<URL>, n: number): number => {
  let sink = 0;
  const loops = Math.max(1, Math.floor(n / urls.length));
  const start = performance.now();
  for (let i = 0; i < loops; i++) {
    for (let j = 0; j < urls.length; j++) sink += router.resolve(urls[j])?.rank ?? -1;
  }
  const ns = ((performance.now() - start) * 1e6) / (loops * urls.length);
  if (sink === 0.5) console.log(sink); // keeps the loop observable
  return ns;
};

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runtimeName = (): string => ("Bun" in globalThis ? "bun" : "deno");

/**
 * Times `Router.resolve` across table sizes and returns one row per size.
 *
 * @example
 * ```ts
 * import { runRouterBench } from "./router_bench.ts";
 * const rows = runRouterBench({ rounds: 3, resolvesPerSample: 50_000 });
 * rows.at(-1)!.ratio; // ~1: 10,000 mounts cost about what 10 do
 * ```
 */
export const runRouterBench = (opts: RouterBenchOptions = {}): RouterBenchRow[] => {
  const sizes = opts.sizes ?? [10, 1000, 10000];
  const rounds = opts.rounds ?? 11;
  const n = opts.resolvesPerSample ?? 400_000;
  const urls = queries();
  const routers = sizes.map((size) => Routers.make(table(size)));
  // Every table must give every query the same answer, or the rows would time different work.
  const answers = (router: Router<number>) => urls.map((u) => router.resolve(u)?.key).join(" ");
  if (routers.some((r) => answers(r) !== answers(routers[0]))) throw new Error("tables disagree: fix the bench tables");
  for (const router of routers) time(router, urls, n); // warm up every shape before measuring
  const samples = sizes.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no size always runs first.
    for (let k = 0; k < sizes.length; k++) {
      const i = (k + round) % sizes.length;
      samples[i].push(time(routers[i], urls, n));
    }
  }
  const base = samples[0];
  const rows = sizes.map((mounts, i): RouterBenchRow => {
    const ratios = samples[i].map((s, r) => s / base[r]);
    return {
      runtime: runtimeName(),
      mounts,
      medianNs: median(samples[i]),
      ratio: median(samples[i]) / median(base),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
    };
  });
  const log = opts.log;
  if (log) {
    log(`router resolve (${runtimeName()}, ${rounds} rounds, ${urls.length} URL shapes)`);
    log("mounts   median ns/resolve   ratio to " + sizes[0] + " (min-max)");
    for (const r of rows) {
      log(
        `${String(r.mounts).padStart(6)}   ${r.medianNs.toFixed(1).padStart(17)}   ${r.ratio.toFixed(2)}x (${
          r.ratioMin.toFixed(2)
        }-${r.ratioMax.toFixed(2)})`,
      );
    }
  }
  return rows;
};

if (import.meta.main) runRouterBench({ log: console.log });
