/**
 * Turns the JSON files written by bench.ts and cold.ts into markdown tables, with
 * each goal of the performance issue judged per runtime.
 *
 * Every ratio is computed per round (a case against the baseline measured in the SAME
 * round), then the median and min–max of those per-round ratios are shown; goals are
 * judged on the median. Absolute numbers are the median (min–max) over rounds.
 *
 * Usage: deno run --allow-read=bench/results --allow-write=bench/results bench/report.ts bench/results/*.json
 * Prints the tables; writes tables.md and goals.json next to the inputs.
 *
 * @module
 */
import { max, median, min } from "./lib.ts";

interface CaseInfo {
  readonly id: string;
  readonly name: string;
}
interface Skipped extends CaseInfo {
  readonly reason: string;
}
/** A section as bench.ts writes it (`values` is rps[conc], cps, or mibps). */
interface Section {
  readonly cases: CaseInfo[];
  readonly skipped: Skipped[];
  readonly baseline: string;
  readonly noise: string;
  readonly n?: number;
}
interface Goal {
  readonly runtime: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null; // null: could not be measured in this run
}

// deno-lint-ignore no-explicit-any
type Json = any;

const files = Deno.args.filter((f) => f.endsWith(".json") && !f.endsWith("goals.json"));
if (files.length === 0) throw new Error("usage: report.ts <results/*.json>");

const f2 = (x: number) => x.toFixed(2);
const f1 = (x: number) => x.toFixed(1);
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const range = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(min(xs))}–${f(max(xs))})`;
const perRound = (a: number[], b: number[], op: (x: number, y: number) => number) => a.map((x, i) => op(x, b[i]));
const cv = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)) / m;
};
const verdict = (met: boolean | null) => (met === null ? "n/a" : met ? "met" : "**not met**");

// Files of one runtime (net, inproc, stream, cold) merge into one report section.
const byRuntime = new Map<string, Json>();
for (const file of files.sort()) {
  const part = JSON.parse(await Deno.readTextFile(file));
  const merged = byRuntime.get(part.runtime) ?? { runtime: part.runtime, version: part.version, runs: [] };
  merged.runs.push(`${file.split("/").pop()}: ${part.started} → ${part.finished ?? "?"}`);
  for (const k of ["net", "inproc", "stub", "router", "stream", "cold"]) if (part[k]) merged[k] = part[k];
  for (const k of ["smoke", "gcBetweenCases", "networkTransport", "rounds"]) merged[k] ??= part[k];
  byRuntime.set(part.runtime, merged);
}

const out: string[] = [];
const p = (s = "") => out.push(s);
const goals: Goal[] = [];

/**
 * One table: a row per case with its ratio to the baseline and, where the issue sets one,
 * the goal and whether it is met. `goalOf` returns [goal text, met] for a case id.
 */
const table = (
  title: string,
  section: Section,
  values: Record<string, number[]>,
  unit: string,
  deltaUnit: { label: string; scale: number } | undefined,
  goalOf: (id: string, ratio: number[]) => [string, boolean] | undefined,
  cpu?: Record<string, number[]>,
) => {
  const base = values[section.baseline];
  p(title);
  p();
  const deltaHead = deltaUnit ? ` Δ ${deltaUnit.label} vs baseline |` : "";
  const cpuHead = cpu ? " client CPU µs/req (ratio) |" : "";
  p(`| case | ${unit} median (min–max) | ratio median (min–max) |${deltaHead}${cpuHead} goal | |`);
  p(`|---|---:|---:|${deltaUnit ? "---:|" : ""}${cpu ? "---:|" : ""}---|---|`);
  for (const c of section.cases) {
    const xs = values[c.id];
    const ratio = perRound(xs, base, (x, y) => x / y);
    const delta = deltaUnit
      ? ` ${
        c.id === section.baseline ? "—" : f1(median(perRound(xs, base, (x, y) => (1 / x - 1 / y) * deltaUnit.scale)))
      } |`
      : "";
    const g = goalOf(c.id, ratio);
    const cpuCell = cpu
      ? ` ${
        cpu[c.id]?.length
          ? `${f1(median(cpu[c.id]))} (${f2(median(perRound(cpu[c.id], cpu[section.baseline], (x, y) => x / y)))}×)`
          : "—"
      } |`
      : "";
    p(
      `| ${c.id} ${c.name} | ${int(median(xs))} (${int(min(xs))}–${int(max(xs))}) | ${
        range(ratio, f2)
      } |${delta}${cpuCell} ${g?.[0] ?? ""} | ${g ? verdict(g[1]) : ""} |`,
    );
  }
  for (const s of section.skipped) {
    const g = goalOf(s.id, []);
    p(`| ${s.id} ${s.name} | skipped: ${s.reason} | — |${deltaUnit ? " — |" : ""}${cpu ? " — |" : ""} ${
      g?.[0] ?? ""
    } | ${g ? "n/a" : ""} |`);
  }
  const noise = values[section.noise];
  if (noise && base) {
    p();
    p(
      `Noise: ${section.noise}/${section.baseline} per round = ${range(perRound(noise, base, (x, y) => x / y), f2)}; ` +
        `CV of all ${base.length * 2} baseline runs = ${(cv([...base, ...noise]) * 100).toFixed(1)}%.`,
    );
  }
  p();
};

const ratioOf = (values: Record<string, number[]>, baseline: string, id: string): number[] | undefined =>
  values[id] ? perRound(values[id], values[baseline], (x, y) => x / y) : undefined;

for (const r of byRuntime.values()) {
  const rt: string = r.runtime;
  const record = (goal: string, measured: string, met: boolean | null) =>
    goals.push({ runtime: rt, goal, measured, met });
  p(`## ${r.version ?? rt}`);
  p();
  p(`Runs: ${r.runs.join("; ")}. GC between cases: ${r.gcBetweenCases}. Network transport: ${r.networkTransport}.`);
  if (r.smoke) {
    p("**Smoke run (BENCH_SMOKE=1): sizes are tiny, the numbers say nothing; it only checks that every case runs.**");
  }
  p();

  if (r.net) {
    const S: Section & {
      concurrency: number[];
      rps: Record<string, Record<string, number[]>>;
      cpu?: Record<string, Record<string, number[]>>;
    } = r.net;
    for (const conc of S.concurrency) {
      const values = S.rps[conc];
      const peers = ["N5", "N6", "N7"].filter((id) => values[id]);
      const peerBest = Math.max(...peers.map((id) => median(ratioOf(values, S.baseline, id)!)));
      table(
        `### Loopback GET, ${int(S.n!)} requests, concurrency ${conc} (req/s; ratio to N1 of the same round)`,
        S,
        values,
        "req/s",
        { label: "µs/req", scale: 1e6 },
        (id, ratio) => {
          if (id === "N2") {
            const m = ratio.length ? median(ratio) : NaN;
            const met = ratio.length ? m >= 0.95 && m > peerBest : null;
            record(
              `loopback c=${conc}, plain transport ≥ 0.95× fetch and ahead of every peer`,
              ratio.length ? `${f2(m)}× (best peer ${f2(peerBest)}×)` : "skipped",
              met,
            );
            return [`≥ 0.95× and > every peer (best ${f2(peerBest)}×)`, met ?? false];
          }
          if (id === "N3") {
            const m = ratio.length ? median(ratio) : NaN;
            const met = ratio.length ? m >= 0.9 : null;
            record(
              `loopback c=${conc}, 3 mounts + 2 plugins ≥ 0.90× fetch`,
              ratio.length ? `${f2(m)}×` : "skipped",
              met,
            );
            return ["≥ 0.90×", met ?? false];
          }
          // Issue #13: the resilience stack (retry, circuitBreaker, tracing over balance of one), at c=64.
          const resilience = id === "N9" ? 0.9 : id === "N10" ? 0.8 : undefined;
          if (resilience !== undefined && conc === 64) {
            const m = ratio.length ? median(ratio) : NaN;
            const met = ratio.length ? m >= resilience : null;
            const what = id === "N9" ? "no tracer" : "in-memory tracer";
            record(
              `loopback c=64, retry + circuitBreaker + tracing (${what}) over balance ≥ ${f2(resilience)}× fetch`,
              ratio.length ? `${f2(m)}×` : "skipped",
              met,
            );
            return [`≥ ${f2(resilience)}×`, met ?? false];
          }
          // Issue #14: auth (bearer) + cookies with an empty jar, at c=64.
          if (id === "N11" && conc === 64) {
            const m = ratio.length ? median(ratio) : NaN;
            const met = ratio.length ? m >= 0.9 : null;
            record(
              "loopback c=64, auth (bearer) + cookies (empty jar) ≥ 0.90× fetch",
              ratio.length ? `${f2(m)}×` : "skipped",
              met,
            );
            return ["≥ 0.90×", met ?? false];
          }
          return undefined;
        },
        S.cpu?.[conc],
      );
    }
  }

  if (r.inproc) {
    const S: Section & { cps: Record<string, number[]> } = r.inproc;
    const hono = median(ratioOf(S.cps, S.baseline, "I2") ?? [NaN]);
    table(
      `### In-process fetch handler, ${int(S.n!)} sequential calls (calls/s; ratio to I1 of the same round)`,
      S,
      S.cps,
      "calls/s",
      { label: "ns/call", scale: 1e9 },
      (id, ratio) => {
        if (id === "I5") {
          // A hit against calling the same (cacheable) app without the cache, and against the plain I3 row.
          const againstApp = S.cps.I6 ? median(perRound(S.cps.I5!, S.cps.I6, (x, y) => x / y)) : NaN;
          const againstI3 = S.cps.I3 ? median(perRound(S.cps.I5!, S.cps.I3, (x, y) => x / y)) : NaN;
          record(
            "in-process cache() hit faster than calling the app (> 1.0× the uncached row)",
            `${f2(againstApp)}× the same app uncached (I6); ${f2(againstI3)}× the plain I3 row`,
            againstApp > 1,
          );
          return [`> 1.0× I6 (${f2(againstApp)}×; vs I3 ${f2(againstI3)}×)`, againstApp > 1];
        }
        if (id !== "I3") return undefined;
        const m = median(ratio);
        record("in-process client.fetch ≥ Hono app.request", `${f2(m)}× vs Hono ${f2(hono)}×`, m >= hono);
        return [`≥ Hono (${f2(hono)}×)`, m >= hono];
      },
    );
  }

  if (r.stub) {
    const S: Section & { cps: Record<string, number[]> } = r.stub;
    table(
      `### Client CPU per request, fetch stubbed, ${
        int(S.n!)
      } sequential calls (calls/s; ratio to S1 of the same round)`,
      S,
      S.cps,
      "calls/s",
      { label: "ns/call", scale: 1e9 },
      (id, ratio) => {
        if (id !== "S2") return undefined;
        const m = median(ratio);
        record("client CPU with fetch stubbed ≥ 0.5× the stub alone", `${f2(m)}×`, m >= 0.5);
        return ["≥ 0.50×", m >= 0.5];
      },
    );
  }

  if (r.router) routerTable(r.router, record);

  if (r.stream) {
    const S: Section & { bytes: number; mibps: Record<string, number[]>; rssGrowthMiB: Record<string, number[]> } =
      r.stream;
    p(`### Streamed response, ${f1(S.bytes / 2 ** 20)} MiB in 64 KiB chunks (MiB/s; ratio to T1 of the same round)`);
    p();
    p(
      "| case | MiB/s median (min–max) | ratio median (min–max) | RSS growth MiB median (min–max) | " +
        "RSS growth minus T1's, same round | goal | |",
    );
    p("|---|---:|---:|---:|---:|---|---|");
    for (const c of S.cases) {
      const ratio = ratioOf(S.mibps, S.baseline, c.id)!;
      const rss = S.rssGrowthMiB[c.id];
      const rssDelta = perRound(rss, S.rssGrowthMiB[S.baseline], (x, y) => x - y);
      let goal = "";
      let met = "";
      if (c.id === "T2") {
        const ok = median(ratio) >= 0.9 && median(rss) <= 32;
        record(
          `${f1(S.bytes / 2 ** 30)} GiB streamed ≥ 0.9× fetch throughput`,
          `${f2(median(ratio))}×`,
          median(ratio) >= 0.9,
        );
        record(
          `${f1(S.bytes / 2 ** 30)} GiB streamed: RSS growth ≤ 32 MiB`,
          `${f1(median(rss))} MiB (raw fetch: ${f1(median(S.rssGrowthMiB[S.baseline]))} MiB)`,
          median(rss) <= 32,
        );
        goal = "≥ 0.90× and RSS growth ≤ 32 MiB";
        met = verdict(ok);
      }
      p(
        `| ${c.id} ${c.name} | ${range(S.mibps[c.id], int)} | ${range(ratio, f2)} | ${range(rss, f1)} | ${
          c.id === S.baseline ? "—" : range(rssDelta, f1)
        } | ${goal} | ${met} |`,
      );
    }
    p();
  }

  if (r.cold) {
    const C = r.cold as {
      runs: number;
      cases: CaseInfo[];
      skipped: Skipped[];
      ms: Record<string, number[]>;
      modAfterEffectMs?: number[];
      pairedDiffMs?: number[];
    };
    p(`### Cold start: a new process per sample, ${C.runs} samples each (wall ms, spawn to exit)`);
    p();
    p("| variant | ms median (min–max) | minus `effect`, paired median (min–max) | goal | |");
    p("|---|---:|---:|---|---|");
    for (const c of C.cases) {
      const diff = perRound(C.ms[c.id], C.ms.effect, (x, y) => x - y);
      p(`| ${c.name} | ${range(C.ms[c.id], f1)} | ${c.id === "effect" ? "—" : range(diff, f1)} | | |`);
    }
    // The goal: back-to-back pairs (older result files have only the rotated runs).
    const goalDiff = C.pairedDiffMs?.length ? C.pairedDiffMs : perRound(C.ms.mod, C.ms.effect, (x, y) => x - y);
    const ok = median(goalDiff) <= 15;
    record("import mod.ts ≤ import effect + 15 ms", `+${f1(median(goalDiff))} ms`, ok);
    if (C.pairedDiffMs?.length) {
      p(`| mod.ts − effect, ${C.pairedDiffMs.length} back-to-back pairs (order alternating) | — | ${
        range(C.pairedDiffMs, f1)
      } | ≤ +15 ms | ${verdict(ok)} |`);
    }
    for (const s of C.skipped) p(`| ${s.id} | skipped: ${s.reason} | — | | |`);
    if (C.modAfterEffectMs?.length) {
      p(`| import mod.ts after effect, timed in one process (no spawn noise) | — | ${
        range(C.modAfterEffectMs, f1)
      } | | |`);
    }
    p();
  }
}

/** The router rows, as bench/router_bench.ts (another helper's file) returns them. */
function routerTable(router: Json, record: (goal: string, measured: string, met: boolean | null) => void) {
  p("### Router: resolve among 10, 1,000, 10,000 mounts (bench/router_bench.ts; ns per resolve)");
  p();
  p("| mounts | ns/resolve (median) | ratio to 10 median (min–max) | goal | |");
  p("|---:|---:|---:|---|---|");
  const rows = (router.rows ?? []) as Array<
    { mounts: number; medianNs: number; ratio: number; ratioMin: number; ratioMax: number }
  >;
  const largest = rows.at(-1);
  for (const row of rows) {
    const isGoal = row === largest && rows.length > 1;
    const met = row.ratio <= 1.5;
    if (isGoal) record(`router: ${int(row.mounts)} mounts vs ${int(rows[0].mounts)} ≤ 1.5×`, `${f2(row.ratio)}×`, met);
    p(
      `| ${int(row.mounts)} | ${f1(row.medianNs)} | ${f2(row.ratio)} (${f2(row.ratioMin)}–${f2(row.ratioMax)}) | ${
        isGoal ? "≤ 1.50×" : ""
      } | ${isGoal ? verdict(met) : ""} |`,
    );
  }
  if (!largest) {
    p("| TODO | router_bench.ts returned no rows | | ≤ 1.50× | n/a |");
    record("router: 10,000 mounts vs 10 ≤ 1.5×", "not measured", null);
  }
  p();
}

const summary: string[] = [];
summary.push("## Goals");
summary.push("");
summary.push("| runtime | goal | measured (median) | |");
summary.push("|---|---|---|---|");
for (const g of goals) summary.push(`| ${g.runtime} | ${g.goal} | ${g.measured} | ${verdict(g.met)} |`);
summary.push("");

const md = [...summary, ...out].join("\n");
console.log(md);
const dir = files[0].includes("/") ? files[0].slice(0, files[0].lastIndexOf("/")) : ".";
await Deno.writeTextFile(`${dir}/tables.md`, md + "\n");
await Deno.writeTextFile(`${dir}/goals.json`, JSON.stringify(goals, null, 2) + "\n");
