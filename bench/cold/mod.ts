// Cold start of the package's main entry point.
import { Client } from "../../mod.ts";

if (typeof Client.make !== "function") throw new Error("mod.ts did not load");
