/**
 * Prints where a CPU profile spends its time: the functions with the most self time,
 * with their total (inclusive) time. Both runtimes write the format:
 *
 *   BENCH_PROFILE_ID=A1 deno run --cpu-prof --cpu-prof-dir=/tmp/prof --v8-flags=--expose-gc -A bench/probe.ts
 *   BENCH_PROFILE_ID=A1 bun --cpu-prof --cpu-prof-dir=/tmp/prof bench/probe.ts
 *   BENCH_ONLY=N2 BENCH_CONC=64 ... deno run --cpu-prof ... bench/bench.ts   (a loopback case; see run.sh)
 *   deno run --allow-read bench/cpu_profile.ts /tmp/prof/*.cpuprofile [--top 40]
 *
 * @module
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

/** Self and total time per function, the top `limit` by self time. */
const summarize = (profile: Profile, limit = 40): string[] => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.replace(/^file:\/\/.*?\/(?=[^/]+\/[^/]+$)/, "")}:${
      n.callFrame.lineNumber + 1
    }`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sum = 0;
  profile.samples.forEach((sample, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    sum += dt;
    const k = key(byId.get(sample)!);
    self.set(k, (self.get(k) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id)!);
      if (!seen.has(kk)) total.set(kk, (total.get(kk) ?? 0) + dt);
      seen.add(kk);
    }
  });
  const pct = (x: number) => `${(100 * x / sum).toFixed(1).padStart(5)}%`;
  return [
    `sampled ${(sum / 1e6).toFixed(2)} s; self% total% function`,
    ...[...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([k, v]) =>
      `${pct(v)} ${pct(total.get(k) ?? 0)}  ${k}`
    ),
  ];
};

const top = Deno.args.includes("--top") ? Number(Deno.args[Deno.args.indexOf("--top") + 1]) : 40;
const files = Deno.args.filter((a, i) => a.endsWith(".cpuprofile") && Deno.args[i - 1] !== "--top");
if (files.length === 0) throw new Error("usage: cpu_profile.ts <file.cpuprofile>... [--top N]");
for (const file of files) {
  console.log([file, ...summarize(JSON.parse(await Deno.readTextFile(file)), top)].join("\n"));
}
