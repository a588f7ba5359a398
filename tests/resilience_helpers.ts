/**
 * Helpers shared by the resilience plugin tests (retry, balance,
 * circuitBreaker, tracing): a loopback server that answers from a script and
 * records what it received.
 */
import { Client } from "../client/client.ts";
import type { Plugin } from "../core/plugin.ts";
import type { Transport } from "../core/transport.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { serve, type TestServer } from "./fixtures/server.ts";

/** What the scripted server saw of one request. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly headers: Headers;
}

/** One scripted answer: a status (and headers), or a function of the request. */
export type Answer = number | { readonly status: number; readonly headers?: HeadersInit; readonly body?: string };

/** A loopback server that answers the n-th request with `script[n]` (the last one repeats), recording each. */
export interface ScriptedServer extends TestServer {
  readonly seen: ReadonlyArray<Seen>;
}

export const scripted = (script: ReadonlyArray<Answer>): ScriptedServer => {
  const seen: Array<Seen> = [];
  const server = serve(async (request) => {
    const body = await request.text();
    seen.push({ method: request.method, path: new URL(request.url).pathname, body, headers: request.headers });
    const answer = script[Math.min(seen.length - 1, script.length - 1)]!;
    if (typeof answer === "number") return new Response(`answer ${seen.length}`, { status: answer });
    return new Response(answer.body ?? `answer ${seen.length}`, { status: answer.status, headers: answer.headers });
  });
  return Object.assign(server, { seen });
};

/** Runs `fn` with a scripted server and a client (HttpTransport, `plugins`), closing both. */
export const withScripted = async (
  script: ReadonlyArray<Answer>,
  plugins: ReadonlyArray<Plugin>,
  fn: (server: ScriptedServer, client: Client) => Promise<void>,
  transport: Transport = HttpTransport.make(),
): Promise<void> => {
  const server = scripted(script);
  const client = Client.make({ transport, plugins });
  try {
    await fn(server, client);
  } finally {
    await client[Symbol.asyncDispose]();
    await server.close();
  }
};

/** A one-shot body: a stream of `parts`, pulled one at a time. */
export const streamOf = (...parts: ReadonlyArray<string>): ReadableStream<Uint8Array> => {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(new TextEncoder().encode(parts[i++]));
      else controller.close();
    },
  }, { highWaterMark: 0 });
};

/** A stream body's RequestInit (`duplex: "half"`, which fetch needs for a stream). */
export const streamInit = (method: string, body: ReadableStream<Uint8Array>, headers?: HeadersInit): RequestInit =>
  ({ method, body, headers, duplex: "half" }) as RequestInit;
