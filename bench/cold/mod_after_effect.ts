// The cost of mod.ts on top of effect, timed inside one process (no spawn noise): prints ms.
await import("effect");
const t0 = performance.now();
const mod = await import("../../mod.ts");
const ms = performance.now() - t0;
if (typeof mod.Client.make !== "function") throw new Error("mod.ts did not load");
console.log(ms.toFixed(2));
