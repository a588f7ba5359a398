/**
 * The node:http engine, for what a runtime's fetch cannot do: a local source
 * address on Bun (its fetch ignores `localAddress`) and a unix socket on Deno
 * (its fetch sends an absolute-form request line there, and lets NO_PROXY
 * route around the socket). node:http works the same on both runtimes,
 * streams both ways, and, unlike fetch, shows every phase: this engine raises
 * a real `ConnectTimeout`, `WriteTimeout` and `ReadTimeout`, and is the only
 * place node:http failures are mapped to the error tree.
 *
 * HTTP/1.1 only; no HTTP proxy (a SOCKS5 one through `host.tunnel`, socks.ts);
 * no automatic `Accept-Encoding` / decompression (what the server sends is
 * what the body holds).
 *
 * @module
 */
import type http from "node:http";
import type https from "node:https";
import type { Socket } from "node:net";
import {
  ConnectError,
  ConnectTimeout,
  LocalProtocolError,
  ReadError,
  ReadTimeout,
  RemoteProtocolError,
  type TransportError,
  WriteError,
  WriteTimeout,
} from "../../core/errors.ts";
import {
  type BodyKind,
  codeOf,
  describeRuntimeError,
  type Engine,
  isPassThrough,
  isTlsVerifyCode,
  markedVersion,
  markVersion,
  permissionDenied,
  withUrl,
} from "./engine.ts";
import type { ResolvedHttpOptions } from "./options.ts";
import type { Tunnel } from "./socks.ts";

type Phase = "connect" | "write" | "wait" | "body";
type Timer = ReturnType<typeof setTimeout>;

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

const describe = (error: unknown): string => {
  const code = codeOf(error);
  return `${code ? `${code}: ` : ""}${describeRuntimeError(error)}`;
};

/** node:http's failure in `phase` as a class of the tree (the phase decides; the code refines). */
const classify = (error: unknown, request: Request, phase: Phase, uds: string | undefined): TransportError => {
  const denied = permissionDenied(error, request);
  if (denied !== undefined) return denied;
  const code = codeOf(error);
  const detail = describe(error);
  const options = { detail, cause: error };
  switch (phase) {
    case "connect":
      if (code === "ENOENT" && uds !== undefined) {
        return new ConnectError(request, { ...options, detail: `unix socket ${uds} does not exist (${detail})` });
      }
      if (isTlsVerifyCode(code)) {
        return new ConnectError(request, { ...options, detail: `TLS certificate verification failed (${detail})` });
      }
      // Nothing was written before the connection existed.
      return new ConnectError(request, options);
    case "write":
      return code === "ECONNRESET" || code === "EPIPE"
        ? new WriteError(request, options)
        : new RemoteProtocolError(request, options);
    case "wait":
      return code.startsWith("HPE_") || code === "ECONNRESET"
        ? new RemoteProtocolError(request, {
          ...options,
          detail: code === "ECONNRESET" ? `the server closed the connection without a response (${detail})` : detail,
        })
        : new ReadError(request, options);
    case "body":
      return new ReadError(request, options);
  }
};

const headersOf = (request: Request): Record<string, string | Array<string>> => {
  const out: Record<string, string | Array<string>> = {};
  request.headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
};

const responseHeaders = (raw: ReadonlyArray<string>): Headers => {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
};

/** The node modules and their agents, loaded on first use. */
interface Agents {
  readonly http: typeof http;
  readonly https: typeof https;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

/**
 * Builds the node:http engine.
 *
 * @example
 * ```ts
 * import { makeNodeEngine } from "./node.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * import { patchWithOwnProperties } from "./body.ts";
 * const engine = makeNodeEngine(resolveHttpOptions({ uds: "/var/run/docker.sock" }), {
 *   bodyKind: () => "unknown",
 *   patch: patchWithOwnProperties,
 * });
 * engine.close();
 * ```
 */
export const makeNodeEngine = (
  o: ResolvedHttpOptions,
  host: {
    readonly bodyKind: (request: Request) => BodyKind;
    readonly patch: Engine["patch"];
    /** Opens every connection through a proxy (SOCKS5), and names its failures. */
    readonly tunnel?: Tunnel;
  },
): Engine => {
  const bodyKind = host.bodyKind;
  const agentOptions = {
    keepAlive: o.limits.maxKeepAliveConnections !== 0,
    ...(o.limits.maxKeepAliveConnections === undefined ? {} : { maxFreeSockets: o.limits.maxKeepAliveConnections }),
    ...(o.limits.keepAliveExpiry === undefined ? {} : { timeout: o.limits.keepAliveExpiry }),
  };
  // node:http costs ~30 ms (Bun) to ~60 ms (Deno) to import, and only `uds` on Deno and
  // `localAddress` on Bun need it: it is loaded on the first request, not with the package.
  let loaded: Promise<Agents> | undefined;
  let agents: Agents | undefined;
  const load = (): Promise<Agents> =>
    loaded ??= Promise.all([import("node:http"), import("node:https")]).then(([h, s]) => {
      const httpModule = (h.default ?? h) as typeof http;
      const httpsModule = (s.default ?? s) as typeof https;
      agents = {
        http: httpModule,
        https: httpsModule,
        httpAgent: new httpModule.Agent(agentOptions),
        httpsAgent: new httpsModule.Agent({
          ...agentOptions,
          ...(o.tls.caCerts.length > 0 ? { ca: [...o.tls.caCerts] } : {}),
          ...(o.tls.cert === undefined ? {} : { cert: o.tls.cert, key: o.tls.key }),
          rejectUnauthorized: !o.tls.insecure,
        }),
      };
      host.tunnel?.install(agents.httpAgent, false);
      host.tunnel?.install(agents.httpsAgent, true);
      return agents;
    });
  const t = o.timeout;

  const send = async (request: Request, signal: AbortSignal | undefined): Promise<Response> => {
    const { http, https, httpAgent, httpsAgent } = agents ?? await load();
    const url = new URL(request.url);
    const secure = url.protocol === "https:";
    const kind = bodyKind(request);
    // A buffered body goes out with Content-Length; a stream (or an unknown body) chunked.
    const buffered = kind === "buffered" ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const body = kind === "none" || buffered !== undefined ? null : request.body;
    const headers = headersOf(request);
    if (buffered !== undefined) headers["content-length"] = String(buffered.byteLength);

    return new Promise<Response>((resolve, reject) => {
      let phase: Phase = "connect";
      let timer: Timer | undefined;
      let settled = false;
      const arm = (ms: number | undefined, make: () => TransportError) => {
        if (timer !== undefined) clearTimeout(timer);
        // Settled here, not by the `error` that `destroy` emits: Bun emits none while an agent's
        // `createConnection` (a SOCKS tunnel) has not delivered the socket yet.
        timer = ms === undefined ? undefined : setTimeout(() => {
          const error = make();
          fail(error);
          req.destroy(error);
        }, ms);
      };
      const fail = (error: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (settled) return;
        settled = true;
        const tunnelled = phase === "connect" ? host.tunnel?.classify(error, request) : undefined;
        reject(isPassThrough(error, signal) ? error : tunnelled ?? classify(error, request, phase, o.uds));
      };
      let req: http.ClientRequest;
      try {
        req = (secure ? https : http).request({
          method: request.method,
          host: url.hostname.replace(/^\[|\]$/g, ""),
          port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
          headers,
          agent: secure ? httpsAgent : httpAgent,
          ...(o.uds === undefined ? {} : { socketPath: o.uds }),
          ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
          ...(secure ? { servername: url.hostname } : {}),
          // Userinfo becomes `Authorization: Basic` unless one is set, as fetch does.
          ...(url.username === "" && url.password === ""
            ? {}
            : { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }),
        });
      } catch (error) {
        // node:http validates before anything is sent (a header byte fetch's Headers allows, a method name);
        // on Deno it also checks the unix socket's permissions there.
        return reject(
          permissionDenied(error, request) ??
            new LocalProtocolError(request, { detail: `node:http refused the request (${describe(error)})` }),
        );
      }
      // node:http upper-cases every method; fetch sends a non-standard one as written (`propfind` stays so).
      if (req.method !== request.method) req.method = request.method;
      const onAbort = () => {
        fail(signal!.reason);
        req.destroy(signal!.reason);
      };
      if (signal?.aborted) return void onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      arm(t.connect, () => new ConnectTimeout(request, { detail: `no connection within ${t.connect} ms` }));
      const connected = () => {
        phase = "write";
        arm(undefined, () => new WriteTimeout(request));
        writeBody().catch(fail);
      };
      req.on("socket", (s: Socket) => {
        const state = s as Socket & { connecting?: boolean; readyState?: string };
        if (state.connecting) s.once(secure ? "secureConnect" : "connect", connected);
        else if (state.readyState === "open") connected(); // a kept-alive socket
        // otherwise it is already closed (e.g. the local address could not be bound): the error follows
      });
      req.on("error", fail);
      req.on("finish", () => {
        if (phase !== "write") return;
        phase = "wait";
        arm(t.read, () => new ReadTimeout(request, { detail: `no response within ${t.read} ms of sending` }));
      });
      req.on("response", (res: http.IncomingMessage) => {
        if (timer !== undefined) clearTimeout(timer);
        phase = "body";
        settled = true;
        const status = res.statusCode ?? 0;
        const readMs = t.read;
        let idle: Timer | undefined;
        // Once the body is finished (ended, failed or cancelled) the controller is closed: node:http may
        // still emit buffered `data` (and `end` or `error`) after `res.destroy()`, and an enqueue then
        // throws inside an event handler, which kills the process on Deno.
        let finished = false;
        const bodyAbort = () => res.destroy(signal!.reason);
        const stop = () => {
          finished = true;
          if (idle !== undefined) clearTimeout(idle);
          signal?.removeEventListener("abort", onAbort);
          signal?.removeEventListener("abort", bodyAbort);
        };
        const stream = NULL_BODY.has(status) || request.method === "HEAD" ? null : new ReadableStream<Uint8Array>({
          start(controller) {
            const rearm = () => {
              if (readMs === undefined) return;
              if (idle !== undefined) clearTimeout(idle);
              idle = setTimeout(
                () => res.destroy(new ReadTimeout(request, { detail: `no body data for ${readMs} ms` })),
                readMs,
              );
            };
            rearm();
            res.on("data", (chunk: Uint8Array) => {
              if (finished) return;
              rearm();
              controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
              if ((controller.desiredSize ?? 1) <= 0) res.pause();
            });
            res.on("end", () => {
              if (finished) return;
              stop();
              controller.close();
            });
            res.on("error", (error: unknown) => {
              if (finished) return;
              stop();
              controller.error(isPassThrough(error, signal) ? error : classify(error, request, "body", o.uds));
            });
            res.on(
              "aborted",
              () => res.destroy(Object.assign(new Error("the connection closed mid-body"), { code: "ECONNRESET" })),
            );
            // An abort now ends the body, not the request.
            signal?.removeEventListener("abort", onAbort);
            signal?.addEventListener("abort", bodyAbort, { once: true });
          },
          pull() {
            res.resume();
          },
          cancel() {
            stop();
            res.destroy();
          },
        }, { highWaterMark: 1 });
        if (stream === null) res.resume();
        const response = new Response(stream, {
          status,
          statusText: res.statusMessage,
          headers: responseHeaders(res.rawHeaders),
        });
        resolve(markVersion(withUrl(response, request), res.httpVersion === "1.0" ? "HTTP/1.0" : "HTTP/1.1"));
      });

      const writeBody = async () => {
        if (buffered !== undefined) return void req.end(buffered);
        if (body === null) return void req.end();
        const reader = body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) {
          if (req.destroyed) return void reader.cancel().catch(() => {});
          if (req.write(r.value)) continue;
          // The socket is full: the write timeout runs while it drains.
          arm(t.write, () => new WriteTimeout(request, { detail: `the socket took no data for ${t.write} ms` }));
          await new Promise<void>((resolve) => req.once("drain", resolve));
          arm(undefined, () => new WriteTimeout(request));
        }
        req.end();
      };
    });
  };

  return {
    name: "node",
    send,
    classify: (error, request) => classify(error, request, "wait", o.uds),
    classifyBody: (error, request) => (codeOf(error) === "" ? undefined : classify(error, request, "body", o.uds)),
    check: undefined,
    bodyKind,
    wantsSignal: true,
    observesConnect: true,
    proxied: false,
    patch: host.patch,
    version: markedVersion,
    close: () => {
      agents?.httpAgent.destroy();
      agents?.httpsAgent.destroy();
    },
  };
};
