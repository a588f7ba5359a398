// Cold start of `effect` plus `zod`: what mod.ts costs beyond effect is zod plus Switchyard's own modules.
import { Effect } from "effect";
import { z } from "zod";

if (typeof Effect.runPromise !== "function" || typeof z.object !== "function") throw new Error("did not load");
