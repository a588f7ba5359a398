// Cold start of `effect` alone: the barrel that mod.ts imports from.
import { Effect } from "effect";

if (typeof Effect.runPromise !== "function") throw new Error("effect did not load");
