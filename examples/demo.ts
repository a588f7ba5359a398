/**
 * The main job end to end, on whichever runtime runs it (`npm run demo` runs it on Deno, then on Bun):
 * one client, three transports chosen by URL mounts — a real server on loopback over the network, an
 * in-process app (no socket), and a mock that simulates a refused connection — through both faces.
 */
import { Effect } from "effect";
import { z } from "zod";
import { Client, ConnectError, decodeJson, HandlerTransport, MockTransport } from "../mod.ts";

const runtime = { name: "Bun" in globalThis ? "bun" : "deno" };

const say = (line: string) => console.log(`[${runtime.name}] ${line}`);

// 1. A real server on loopback (Deno.serve or Bun.serve), reached over the network by the default transport.
const g = globalThis as unknown as {
  Deno?: {
    serve(o: { hostname: string; port: number; onListen(): void }, h: (r: Request) => Response): {
      addr: { port: number };
      shutdown(): Promise<void>;
    };
  };
  Bun?: {
    serve(
      o: { hostname: string; port: number; fetch(r: Request): Response },
    ): { port: number; stop(force: boolean): void };
  };
};
const hello = (request: Request) =>
  new Response(`hello from a real server, you asked for ${new URL(request.url).pathname}`);
const server = g.Bun
  ? (() => {
    const s = g.Bun!.serve({ hostname: "127.0.0.1", port: 0, fetch: hello });
    return { port: s.port, stop: () => Promise.resolve(s.stop(true)) };
  })()
  : (() => {
    const s = g.Deno!.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, hello);
    return { port: s.addr.port, stop: () => s.shutdown() };
  })();

// 2. An in-process app: any fetch handler (a Hono app's `fetch` works the same).
const users = (request: Request) => {
  const id = Number(new URL(request.url).pathname.split("/").pop());
  return id === 1 ? Response.json({ id, name: "Ada" }) : Response.json({ id, name: 42 });
};

// 3. A mock that simulates a fault, as a typed error.
const down = MockTransport.make((request) => {
  throw new ConnectError(request, { detail: "simulated: connection refused" });
});

await using client = Client.make({
  mounts: {
    "http://users.internal": HandlerTransport.make(users),
    "all://*.down.test": down,
  },
});

// Promise face: client.fetch is fetch.
const fromNetwork = await client.fetch(`http://127.0.0.1:${server.port}/ping`);
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
say(`mock recorded ${down.calls.length} calls`);

await server.stop();
