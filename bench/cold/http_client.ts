// Cold start of the effect/http entry point (it loads effect/http on top of mod.ts).
import * as HttpClientEntry from "../../http_client.ts";

if (Object.keys(HttpClientEntry).length === 0) throw new Error("http_client.ts did not load");
