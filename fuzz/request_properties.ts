/**
 * The fuzz properties over the request path: URLs and methods through a
 * client with mounts and plugins (in-process), header names and values, and
 * requests over loopback through `HttpTransport` (the runtime's fetch, the
 * full path with a pool limit and timeouts, and node:http over a unix
 * socket). Both lanes: `client.fetch` and the Effect methods.
 */
import { join } from "node:path";
import { Effect } from "effect";
import fc from "fast-check";
import {
  Client,
  HandlerTransport,
  HttpTransport,
  InvalidOptions,
  logging,
  type LogRecord,
  MockTransport,
} from "../mod.ts";
import { serve, type TestServer } from "../tests/fixtures/server.ts";
import { tempDir } from "../tests/fixtures/temp_dir.ts";
import { headerName, headerValue, method, requestUrl, SECRET, secretUrl, STANDARD_METHODS } from "./arbitraries.ts";
import { construct, expectTyped, settle, violated } from "./oracle.ts";
import { type FuzzProperty, params } from "./properties.ts";

type Lane = "promise" | "effect";
const lane = fc.constantFrom<Lane>("promise", "effect");

/** Typed failures by tag, for the report. */
const tally = (counts: Map<string, number>): string =>
  [...counts].sort((a, b) => b[1] - a[1]).map(([tag, n]) => `${tag} ${n}`).join(", ");

/** One call on `lane`: its Response, or its (checked) typed error, counted in `failures` by tag. */
const call = async (
  client: Client,
  lane: Lane,
  url: string,
  init: RequestInit,
  failures?: Map<string, number>,
): Promise<Response | undefined> => {
  const outcome = await settle(
    `${lane} lane`,
    () =>
      lane === "promise" ? client.fetch(url, init) : Effect.runPromise(client.request(init.method ?? "GET", url, init)),
  );
  if (outcome instanceof Response) return outcome;
  const error = expectTyped(outcome, `${init.method ?? "GET"} ${url} (${lane} lane)`);
  failures?.set(error._tag, (failures.get(error._tag) ?? 0) + 1);
  return undefined;
};

/** An app that echoes what it got, or throws with the URL in its message (`x-fail`), as apps do. */
const echo = (request: Request): Response => {
  if (request.headers.has("x-fail")) throw new Error(`failed for ${request.url}`);
  return Response.json({ method: request.method, url: request.url });
};

const urlsAndMethods: FuzzProperty = {
  name: "request URLs and methods through mounts and plugins (in-process, both lanes)",
  runs: 16_000,
  run: async (numRuns, seed, path) => {
    let answered = 0;
    const failures = new Map<string, number>();
    const records: LogRecord[] = [];
    const client = Client.make({
      baseUrl: "http://base.test/v1",
      transport: MockTransport.make(echo),
      mounts: { "http://app.test": HandlerTransport.make(echo), "all://*.internal": null },
      plugins: [logging({ log: (r) => void records.push(r) })],
      trustEnv: false,
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(requestUrl, secretUrl), method, lane, fc.boolean(), async (url, m, l, fail) => {
          records.length = 0;
          const response = await call(client, l, url, { method: m, headers: fail ? { "x-fail": "1" } : {} }, failures);
          if (response !== undefined) answered++;
          await response?.body?.cancel();
          if (JSON.stringify(records).includes(SECRET)) violated("the secret leaked into a log record");
        }),
        params(numRuns, seed, path),
      );
    } finally {
      await Effect.runPromise(client.close());
    }
    return `${answered} of ${numRuns} answered; failed typed: ${tally(failures)}`;
  },
};

/** HTTP whitespace (tab, LF, CR, space) is trimmed from a header value; what is left must not hold CR, LF or NUL. */
const mustRefuse = (value: string): boolean => /[\r\n\0]/.test(value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, ""));

/** A header fetch must accept: a token name and a value of bytes (code points up to 0xFF) that need no refusal. */
const isValid = (name: string, value: string): boolean =>
  !mustRefuse(value) && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) && [...value].every((c) => c.charCodeAt(0) <= 0xff);

const headers: FuzzProperty = {
  name: "header names and values (per call and as client defaults, both lanes)",
  runs: 16_000,
  run: async (numRuns, seed, path) => {
    let seen: Headers | undefined;
    const transport = MockTransport.make((request) => (seen = request.headers, new Response("ok")));
    const client = Client.make({ transport, trustEnv: false });
    try {
      await fc.assert(
        fc.asyncProperty(headerName, headerValue, fc.boolean(), lane, async (name, value, pairs, l) => {
          seen = undefined;
          const init = { headers: pairs ? [[name, value]] as [string, string][] : { [name]: value } };
          const response = await call(client, l, "http://api.test/", init);
          if (response !== undefined) {
            await response.body?.cancel();
            const got = seen as Headers | undefined; // set by the mock
            for (const [, sent] of got ?? []) if (/[\r\n\0]/.test(sent)) violated("a CR, LF or NUL was sent");
            // Refused even where Deno's own Headers would keep it as "" (client/request.ts checks it itself).
            if (mustRefuse(value)) violated(`a value with CR, LF or NUL was accepted: ${JSON.stringify(value)}`);
          } else if (isValid(name, value)) {
            violated(`a valid header was refused: ${JSON.stringify([name, value])}`);
          }
          const withDefaults = construct(
            "Client.make({ headers })",
            () => Client.make({ transport, headers: { [name]: value }, trustEnv: false }),
          );
          if (!(withDefaults instanceof InvalidOptions) && mustRefuse(value)) {
            violated(`default headers with CR, LF or NUL were accepted: ${JSON.stringify(value)}`);
          }
          if (withDefaults instanceof InvalidOptions) {
            if (isValid(name, value)) {
              violated(`valid default headers were refused: ${JSON.stringify([name, value])}`);
            }
          } else {
            const r = await call(withDefaults, l, "http://api.test/", {});
            await r?.body?.cancel();
          }
        }),
        params(numRuns, seed, path),
      );
    } finally {
      await Effect.runPromise(client.close());
    }
  },
};

/** fetch's method normalisation: the six standard names are upper-cased whatever their case; others are kept. */
const normalise = (m: string): string =>
  ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"].includes(m.toUpperCase()) ? m.toUpperCase() : m;

/** Echoes the method, the `x-fuzz` header and the body; sends a body of the length the path asks for. */
const wireEcho = async (request: Request): Promise<Response> => {
  const body = await request.text();
  return Response.json({ method: request.method, header: request.headers.get("x-fuzz"), body: body.length });
};

const loopback: FuzzProperty = {
  name: "requests over loopback (runtime fetch, full path with pool limit and timeouts, node:http over a unix socket)",
  runs: 4_000,
  run: async (numRuns, seed, path) => {
    let answered = 0;
    const failures = new Map<string, number>();
    using tmp = tempDir("switchyard-fuzz-");
    const socket = { path: join(tmp.dir, "fuzz.sock") };
    const servers: TestServer[] = [serve(wireEcho), serve(wireEcho, { unix: socket.path })];
    const [tcp] = servers;
    const clients = {
      fetch: Client.make({ transport: HttpTransport.make({ trustEnv: false }), trustEnv: false }),
      full: Client.make({
        transport: HttpTransport.make({ trustEnv: false, limits: { maxConnections: 4 }, timeout: 5_000, retries: 1 }),
        trustEnv: false,
      }),
      uds: Client.make({ transport: HttpTransport.make({ uds: socket.path, timeout: 5_000 }), trustEnv: false }),
    };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("fetch", "full", "uds" as const),
          // Mostly methods a server will see, so that most cases reach the wire.
          fc.oneof({ weight: 3, arbitrary: STANDARD_METHODS }, { weight: 1, arbitrary: method }),
          fc.oneof(fc.webPath(), fc.string({ maxLength: 10 })).map((p) => p.replace(/^\/*/, "/")),
          fc.oneof(fc.constant(""), fc.webQueryParameters().map((q) => `?${q}`)),
          fc.oneof({ weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 16 }) }, headerValue),
          fc.option(fc.string({ maxLength: 64 })),
          lane,
          async (which, m, p, q, value, body, l) => {
            const base = which === "uds" ? "http://localhost" : tcp!.url;
            const init: RequestInit = { method: m, headers: { "x-fuzz": value } };
            if (body !== null && m !== "GET" && m !== "HEAD") init.body = body;
            const response = await call(clients[which], l, `${base}${p}${q}`, init, failures);
            // fetch refuses a GET or HEAD with a body, whatever the method's case: so must the client.
            if (response !== undefined && init.body !== undefined && /^(get|head)$/i.test(m)) {
              violated(`${JSON.stringify(m)} with a body was sent`);
            }
            if (response !== undefined) {
              answered++;
              // The body must end too, with its data or a typed error.
              const read = await settle("body read", () => response.text());
              if (typeof read !== "string") expectTyped(read, "body read");
              // A method arrives as fetch normalises it, or the client refused it (Bun would change some).
              else if (m !== "HEAD" && read !== "" && JSON.parse(read).method !== normalise(m)) {
                violated(`${JSON.stringify(m)} arrived as ${JSON.parse(read).method}`);
              }
            }
          },
        ),
        params(numRuns, seed, path),
      );
    } finally {
      for (const client of Object.values(clients)) await Effect.runPromise(client.close());
      for (const server of servers) await server.close();
    }
    return `${answered} of ${numRuns} answered by the server; failed typed: ${tally(failures)}`;
  },
};

export const requestProperties: ReadonlyArray<FuzzProperty> = [urlsAndMethods, headers, loopback];
