/**
 * The loopback server: `Deno.serve` under Deno, `Bun.serve` under Bun (each client is
 * measured against a server of its own runtime). Keep-alive is on (both defaults).
 *
 *   GET /                 -> "Hello, World!" (13 bytes)
 *   GET /stream?bytes=N   -> N bytes of "x" in 64 KiB chunks, streamed (no content-length)
 *
 * Prints exactly one line `LISTENING <port>` when ready; port 0 picks a free one.
 * Usage: deno run --allow-net=127.0.0.1 bench/server.ts [port]  |  bun bench/server.ts [port]
 *
 * @module
 */
import process from "node:process";

const BODY = "Hello, World!";
const CHUNK = 64 * 1024;
const hostname = "127.0.0.1";
const port = Number(process.argv[2] ?? 0);

// Every chunk has the same content, so one buffer is enqueued again and again: the server
// then spends its CPU on the socket, not on filling memory, and the client stays the bottleneck.
const chunk = new Uint8Array(CHUNK).fill(0x78);

const stream = (bytes: number): ReadableStream<Uint8Array> => {
  let left = bytes;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(CHUNK, left);
      left -= n;
      controller.enqueue(n === CHUNK ? chunk : chunk.subarray(0, n));
    },
  }, { highWaterMark: 4 });
};

const handler = (request: Request): Response => {
  // The hello path is the hot one: a cheap suffix test, no URL parsing.
  if (request.url.endsWith("/")) return new Response(BODY);
  const url = new URL(request.url);
  if (url.pathname === "/stream") return new Response(stream(Number(url.searchParams.get("bytes") ?? 0)));
  return new Response("Not Found", { status: 404 });
};

interface BunServe {
  serve(options: { hostname: string; port: number; fetch: (request: Request) => Response }): { port: number };
}
const bun = (globalThis as unknown as { Bun?: BunServe }).Bun;

if (bun) {
  const server = bun.serve({ hostname, port, fetch: handler });
  console.log(`LISTENING ${server.port}`);
} else {
  Deno.serve({ hostname, port, onListen: ({ port }) => console.log(`LISTENING ${port}`) }, handler);
}
