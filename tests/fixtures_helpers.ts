/**
 * Helpers shared by the network fixtures' self-tests (tests/fixtures_*_test.ts):
 * one fetch with each runtime's client options, rejection matching, raw socket
 * exchanges and an echoing handler.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { runtimeName } from "./harness.ts";

// The runtimes' fetch extensions, typed locally (no bun-types in the check config).

export interface DenoHttpClientOptions {
  caCerts?: string[];
  cert?: string;
  key?: string;
  http1?: boolean;
  http2?: boolean;
  proxy?: { url: string; basicAuth?: { username: string; password: string } } | {
    transport: "unix";
    path: string;
  };
}

export interface DenoHttpClient {
  close(): void;
}

export interface BunFetchInit {
  tls?: { ca?: string; cert?: string; key?: string };
  proxy?: string;
  unix?: string;
  protocol?: "http2" | "http1.1";
}

/** The Deno global, when running under Deno. */
export const g = globalThis as unknown as {
  Deno?: { createHttpClient(options: DenoHttpClientOptions): DenoHttpClient };
};

/**
 * One fetch call with the client options of each runtime: on Deno a
 * `Deno.createHttpClient` made for this call (closed after the body is read),
 * on Bun fetch's own options. Returns status, headers and body text.
 */
export const fetchWith = async (
  url: string,
  options: { deno?: DenoHttpClientOptions; bun?: BunFetchInit; init?: RequestInit } = {},
): Promise<{ status: number; headers: Headers; body: string }> => {
  if (g.Deno && runtimeName === "deno") {
    const client = g.Deno.createHttpClient(options.deno ?? {});
    try {
      const response = await fetch(url, { ...options.init, client } as RequestInit);
      return { status: response.status, headers: response.headers, body: await response.text() };
    } finally {
      client.close();
    }
  }
  const response = await fetch(url, { ...options.init, ...options.bun } as RequestInit);
  return { status: response.status, headers: response.headers, body: await response.text() };
};

/** The thrown error's text, with a Deno `cause` appended. */
const describe = (error: unknown): string => {
  const e = error as { name?: string; message?: string; code?: string; cause?: { message?: string } };
  return `${e?.name} ${e?.code ?? ""} ${e?.message ?? ""} ${e?.cause?.message ?? ""}`;
};

/** Awaits `promise`, expecting a rejection whose text (see `describe`) matches `pattern`. */
export const rejectsWith = async (promise: Promise<unknown>, pattern: RegExp): Promise<void> => {
  let failure: unknown = undefined;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, "expected a rejection");
  assert.match(describe(failure), pattern);
};

/** Sends raw bytes to 127.0.0.1:port and returns everything received until the peer closes. */
export const rawExchange = (port: number, bytes: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (received += text));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(bytes);
  });

/** Answers `METHOD /path?query body`, with the Host header it got in `x-host`. */
export const echoHandler = async (request: Request): Promise<Response> => {
  const url = new URL(request.url);
  const body = request.method === "GET" || request.method === "HEAD" ? "" : await request.text();
  return new Response(`${request.method} ${url.pathname}${url.search} ${body}`, {
    headers: { "x-host": request.headers.get("host") ?? "" },
  });
};
