/**
 * SOCKS5 for the node:http engine (Bun's `fetch` speaks only http:// and
 * https:// proxies). Every connection the engine's agents open is a tunnel
 * made by the `socks` package (pinned; imported on first use, ~10-25 ms on
 * Bun), with TLS on top for https; kept-alive connections are reused as any
 * other.
 *
 * - `socks5://` and `socks5h://` both send the target's name for the proxy
 *   to resolve, as HTTPX (httpcore) and Deno do; curl would resolve it
 *   locally for `socks5://`. An IP literal is sent as an address.
 * - Userinfo is the username/password method (RFC 1929).
 * - A failure of the tunnel (the proxy unreachable, refusing the credentials
 *   or the destination) is a `ProxyError`, as in HTTPX; a TLS failure after
 *   it keeps its own class (the node engine maps it).
 * - The whole tunnel, TLS included, is the connect phase: the node engine's
 *   `ConnectTimeout` covers it.
 *
 * @module
 */
import type http from "node:http";
import type { Socket } from "node:net";
import type tls from "node:tls";
import { ProxyError, type TransportError } from "../../core/errors.ts";
import { isIpLiteral } from "../../router/ip.ts";
import { describeRuntimeError } from "./engine.ts";
import type { ResolvedHttpOptions } from "./options.ts";

/**
 * Where an agent wants a connection (what node:http passes to `createConnection`).
 *
 * @example
 * ```ts
 * import type { TunnelTarget } from "./socks.ts";
 * const target: TunnelTarget = { host: "example.org", port: 443, servername: "example.org" };
 * ```
 */
export interface TunnelTarget {
  readonly host?: string | null;
  readonly port?: number | string | null;
  readonly servername?: string;
}

/**
 * A way to open the node engine's connections through a proxy.
 *
 * @example
 * ```ts
 * import type { Tunnel } from "./socks.ts";
 * const describe = (tunnel: Tunnel) => typeof tunnel.install;
 * ```
 */
export interface Tunnel {
  /** Makes `agent` open its connections through the tunnel (TLS on top when `secure`). */
  readonly install: (agent: http.Agent, secure: boolean) => void;
  /** A connect-phase failure as the tree's class, or `undefined` when it was not the tunnel's. */
  readonly classify: (error: unknown, request: Request) => TransportError | undefined;
}

/** A failure of the tunnel itself, as text (the package's error carries the proxy's password in `options`). */
class TunnelFailure extends Error {
  constructor(readonly text: string, readonly code: string) {
    super(text);
  }
}

interface Modules {
  readonly SocksClient: typeof import("socks").SocksClient;
  readonly tls: typeof tls;
  readonly secureContext: tls.SecureContext | undefined;
}

/**
 * The SOCKS5 tunnel of `o.proxy` (a `socks5://` or `socks5h://` URL).
 *
 * @example
 * ```ts
 * import { socksTunnel } from "./socks.ts";
 * import { resolveHttpOptions } from "./options.ts";
 * const tunnel = socksTunnel(resolveHttpOptions({ proxy: "socks5h://user:pw@127.0.0.1:1080" }));
 * console.assert(typeof tunnel.install === "function");
 * ```
 */
export const socksTunnel = (o: ResolvedHttpOptions): Tunnel => {
  const proxy = o.proxy!.url;
  const endpoint = {
    host: proxy.hostname.replace(/^\[|\]$/g, ""),
    port: proxy.port === "" ? 1080 : Number(proxy.port),
    type: 5 as const,
    ...(proxy.username === "" && proxy.password === ""
      ? {}
      : { userId: decodeURIComponent(proxy.username), password: decodeURIComponent(proxy.password) }),
  };
  // The package's own deadline (20 s by default) stays behind ours, so that ours names the phase.
  const timeout = o.timeout.connect === undefined ? undefined : o.timeout.connect + 1_000;

  let loaded: Promise<Modules> | undefined;
  const load = (): Promise<Modules> =>
    loaded ??= Promise.all([import("socks"), import("node:tls")]).then(([s, t]) => {
      const tlsModule = (t.default ?? t) as typeof tls;
      const { caCerts, cert, key } = o.tls;
      return {
        SocksClient: s.SocksClient ?? (s as unknown as { default: typeof s }).default.SocksClient,
        tls: tlsModule,
        secureContext: caCerts.length === 0 && cert === undefined ? undefined : tlsModule.createSecureContext({
          // `caCerts` add to the system's roots (an explicit `ca` would replace them).
          ...(caCerts.length > 0 ? { ca: [...tlsModule.rootCertificates, ...caCerts] } : {}),
          ...(cert === undefined ? {} : { cert, key }),
        }),
      };
    });

  const tunnel = async (m: Modules, host: string, port: number): Promise<Socket> => {
    try {
      const { socket } = await m.SocksClient.createConnection({
        proxy: endpoint,
        command: "connect",
        destination: { host, port },
        ...(timeout === undefined ? {} : { timeout }),
        // The package fills in the proxy's host and port.
        ...(o.localAddress === undefined
          ? {}
          : { socket_options: { localAddress: o.localAddress, host: endpoint.host, port: endpoint.port } }),
      });
      return socket;
    } catch (error) {
      throw new TunnelFailure(describeRuntimeError(error), (error as { code?: string }).code ?? "");
    }
  };

  const open = async (target: TunnelTarget, secure: boolean): Promise<Socket> => {
    const m = await load();
    const host = String(target.host ?? "localhost").replace(/^\[|\]$/g, "");
    const port = Number(target.port ?? (secure ? 443 : 80));
    const socket = await tunnel(m, host, port);
    if (!secure) return socket;
    const name = target.servername ?? host;
    return await new Promise<Socket>((resolve, reject) => {
      const secured = m.tls.connect({
        socket,
        rejectUnauthorized: !o.tls.insecure,
        ...(isIpLiteral(name) ? {} : { servername: name }),
        ...(m.secureContext === undefined ? {} : { secureContext: m.secureContext }),
      });
      secured.once("secureConnect", () => resolve(secured));
      secured.once("error", (error) => {
        secured.destroy();
        socket.destroy();
        reject(error);
      });
    });
  };

  return {
    install: (agent, secure) => {
      // node:http's hook for a connection made asynchronously: call back with the connected socket.
      (agent as unknown as { createConnection: unknown }).createConnection = (
        options: TunnelTarget,
        callback: (error: Error | null, socket?: Socket) => void,
      ) => {
        open(options, secure).then((socket) => callback(null, socket), (error) => callback(error));
        return undefined;
      };
    },
    classify: (error, request) => {
      if (!(error instanceof TunnelFailure)) return undefined;
      const cause = Object.assign(new Error(error.text), { code: error.code });
      const reach = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(`${error.code} ${error.text}`);
      return new ProxyError(request, {
        detail: reach
          ? `could not reach the SOCKS5 proxy (${error.text})`
          : `the SOCKS5 proxy failed the tunnel (${error.text})`,
        cause,
      });
    },
  };
};
