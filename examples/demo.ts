/**
 * The main job end to end, on whichever runtime runs it (`npm run demo` runs it on Deno, then on Bun):
 * one client, three transports chosen by URL mounts (a real server on loopback over the network, an
 * in-process app with no socket, and a mock that simulates a refused connection), a plugin pipeline
 * every request passes, `explain` saying where a URL goes and why, and both faces (Promise and Effect).
 */
import { Effect } from "effect";
import { z } from "zod";
import {
  Client,
  ConnectError,
  decodeJson,
  HandlerTransport,
  logging,
  type LogRecord,
  MockTransport,
  Plugin,
} from "../mod.ts";
import { serve } from "./serve.ts";

const runtime = { name: "Bun" in globalThis ? "bun" : "deno" };
const say = (line: string) => console.log(`[${runtime.name}] ${line}`);

// 1. A real server on loopback (Deno.serve or Bun.serve), reached over the network by the default transport.
const server = serve((request) =>
  new Response(`hello from a real server, you asked for ${new URL(request.url).pathname}`)
);

// 2. An in-process app: any fetch handler (a Hono app's `fetch` works the same).
const users = (request: Request) => {
  const id = Number(new URL(request.url).pathname.split("/").pop());
  return id === 1 ? Response.json({ id, name: "Ada" }) : Response.json({ id, name: 42 });
};

// 3. A mock that simulates a fault, as a typed error.
const down = MockTransport.make((request) => {
  throw new ConnectError(request, { detail: "simulated: connection refused" });
});

// The pipeline: a plugin written once as steps (both lanes derived), then the built-in logging.
let sent = 0;
const requestId = Plugin.steps({
  name: "request-id",
  onRequest: (r) => void r.headers.set("x-request-id", `demo-${++sent}`),
});
const records: Array<LogRecord> = [];
const log = logging({ log: (record) => void records.push(record) });

await using client = Client.make({
  mounts: {
    "http://users.internal": HandlerTransport.make(users),
    "all://*.down.test": down,
  },
  plugins: [requestId, log],
});

// Where does a URL go, and why? No request is sent.
const why = client.explain("https://api.down.test/v1");
say(`explain   -> ${why.key} (${why.transportKind}) through ${why.plugins.join(" → ")}: ${why.reason}`);
say(`explain   -> ${client.explain(`${server.url}/ping`).reason}`);

// Promise face: client.fetch is fetch.
const fromNetwork = await client.fetch(`${server.url}/ping`);
say(`network   -> ${fromNetwork.status} ${await fromNetwork.text()}`);

const fromApp = await client.fetch("http://users.internal/users/1");
say(`in-process -> ${fromApp.status} ${JSON.stringify(await fromApp.json())}`);

try {
  await client.fetch("https://api.down.test/");
} catch (error) {
  if (error instanceof ConnectError) say(`mock      -> ${error._tag}: ${error.message}`);
  else throw error;
}

// Effect face: typed errors, caught by tag.
const User = z.object({ id: z.number(), name: z.string() });
const getUser = (id: number) =>
  client.get(`http://users.internal/users/${id}`).pipe(
    Effect.flatMap(decodeJson(User)),
    Effect.map((user) => `user ${user.id} is ${user.name}`),
    Effect.catchTag("DecodingError", (e) => Effect.succeed(`DecodingError caught: ${e.detail}`)),
  );
say(`effect    -> ${await Effect.runPromise(getUser(1))}`);
say(`effect    -> ${await Effect.runPromise(getUser(2))}`);
const refused = await Effect.runPromise(
  client.get("https://x.down.test/").pipe(
    Effect.as("unexpected success"),
    Effect.catchTag("ConnectError", (e) => Effect.succeed(`ConnectError caught by tag (${e.detail})`)),
  ),
);
say(`effect    -> ${refused}`);
say(
  `mock recorded ${down.calls.length} calls; the last carried x-request-id ${
    down.calls.at(-1)!.request.headers.get("x-request-id")
  }`,
);
say(`logging   -> ${records.map((r) => `${r.method} ${new URL(r.url).host} ${r.status ?? r.error?.tag}`).join(", ")}`);

await server.stop();
