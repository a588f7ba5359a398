/**
 * `guard()`: an SSRF guard for services that fetch URLs their users give
 * them, working with fetch on Deno and Bun (every JavaScript guard before it
 * hooks Node's `http.Agent`, which neither runtime's fetch uses).
 *
 * Before anything is sent, it looks at where the request would go: an IP
 * literal is classified as parsed (`http://0x7f.1/`, `http://2130706433/` and
 * `[::ffff:7f00:1]` are all 127.0.0.1 by then), a name is resolved and every
 * address it has is classified (guard_ranges.ts). A loopback, private,
 * link-local, CGNAT, unspecified, multicast, reserved, documentation,
 * benchmarking or cloud metadata address is refused with `BlockedAddress`
 * unless `allow` permits it; a failed resolution refuses too (with the
 * `ConnectError` the transport would have raised), never skips the check.
 * The client sends every redirect hop through the plugins, so every hop is
 * checked again.
 *
 * Where the transport can, the connection is pinned to the checked address
 * (core/connect_pin.ts), which closes DNS rebinding: Bun's `HttpTransport`
 * connects to that address with the name in `Host` and as the TLS server
 * name. Deno's fetch has no server-name override, so on Deno the transport
 * resolves the name again when it connects; `--deny-net` with CIDRs is the
 * runtime's own complement there. Put the guard last in `plugins` (nearest
 * the transport), so that the request it checks and pins is the one sent.
 *
 * @module
 */
import { Effect } from "effect";
import {
  BlockedAddress,
  type BlockedRule,
  ConnectError,
  InvalidOptions,
  isTransportError,
  type TransportError,
} from "../core/errors.ts";
import { pinConnection } from "../core/connect_pin.ts";
import { array, custom, number, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import { parseIpHost } from "../router/ip.ts";
import { UrlPattern } from "../router/pattern.ts";
import { addressHost, classifyAddress, embeddedIpv4 } from "./guard_ranges.ts";
import { type Resolve, systemResolve, untilAborted } from "./guard_resolve.ts";

export type { Resolve } from "./guard_resolve.ts";

/**
 * Options of `guard`. `allow` and `deny` entries are mount keys (the router's
 * syntax): a CIDR (`"all://10.0.0.0/8"`, `"all://[fd00::]/8"`), a host
 * (`"all://metrics.internal"`, `"all://*.svc.cluster.local"`), with a scheme
 * and a port when they matter (`"http://127.0.0.1:8080"`).
 *
 * @example
 * ```ts
 * import type { GuardOptions } from "@switchyard/switchyard";
 * const options: GuardOptions = {
 *   allow: ["all://10.20.0.0/16", "http://localhost:8080"],
 *   deny: ["all://*.corp.example"],
 *   ports: [80, 443, 8080],
 * };
 * ```
 */
export interface GuardOptions {
  /**
   * Destinations that may be reached although their address is refused by
   * default. A key that names a host (or matches every host) trusts the name
   * as written, whatever it resolves to, and is not resolved or pinned; a
   * CIDR or IP key permits the addresses in it, checked after resolution.
   * An IPv6 form that embeds IPv4 (`[::ffff:a00:1]`) is permitted by a key
   * for the IPv4 address too.
   */
  readonly allow?: ReadonlyArray<string>;
  /** Destinations refused although public (hosts, CIDRs); `deny` wins over `allow`. */
  readonly deny?: ReadonlyArray<string>;
  /** Only these destination ports (the scheme's default when the URL has none); any port when absent. */
  readonly ports?: ReadonlyArray<number>;
  /**
   * Resolves a name to every address it has. Default: the system resolver
   * (`getaddrinfo`), what the runtime's fetch connects with.
   */
  readonly resolve?: Resolve;
}

const checkOptions = object({
  allow: optional(array(custom((u): u is string => typeof u === "string", "a mount key string"), "an array of keys")),
  deny: optional(array(custom((u): u is string => typeof u === "string", "a mount key string"), "an array of keys")),
  ports: optional(
    array(number("a port from 1 to 65535", { min: 1, integer: true }), "an array of port numbers"),
  ),
  resolve: optional(custom((u): u is Resolve => typeof u === "function", "a function (hostname) => Promise<string[]>")),
});

/** Parses the keys of `allow` or `deny`, naming the entry when one is malformed. */
const parseKeys = (keys: ReadonlyArray<string> | undefined, option: string): ReadonlyArray<UrlPattern> =>
  (keys ?? []).map((key, i) => {
    const error = UrlPattern.validate(key);
    if (error !== undefined) {
      throw new InvalidOptions({ option: `${option}[${i}]`, received: error.received, expected: error.expected });
    }
    return UrlPattern.parse(key);
  });

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443, "ws:": 80, "wss:": 443 };

/**
 * Names answered without a resolver: `localhost` and `*.localhost` are the
 * loopback address (RFC 6761; Bun's fetch resolves every `*.localhost` so,
 * where getaddrinfo may not), and the metadata services' names mean the
 * metadata address whatever a resolver says.
 */
const KNOWN_NAMES: ReadonlyArray<readonly [(name: string) => boolean, BlockedRule | string]> = [
  [(name) => name === "localhost" || name.endsWith(".localhost"), "127.0.0.1"],
  [(name) => name === "metadata.google.internal" || name === "metadata.goog", "metadata"],
];

/** Whether a key is about addresses (a CIDR, or an IP literal host), so it applies after resolution. */
const isAddressKey = (p: UrlPattern): boolean =>
  p.hostMatch === "cidr" || (p.hostMatch === "exact" && (p.domain.startsWith("[") || /^[\d.]+$/.test(p.domain)));

const v4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** What one guard knows: its keys, ports and resolver. */
interface Policy {
  readonly allow: ReadonlyArray<UrlPattern>;
  readonly allowAddresses: ReadonlyArray<UrlPattern>;
  readonly deny: ReadonlyArray<UrlPattern>;
  readonly denyAddresses: ReadonlyArray<UrlPattern>;
  readonly ports: ReadonlySet<number> | undefined;
  readonly resolve: Resolve;
}

/** Whether an address key matches `url` sent to `address` (and, for an embedding IPv6 form, its IPv4 address). */
const addressMatches = (keys: ReadonlyArray<UrlPattern>, url: URL, address: string, words: Uint32Array) => {
  if (keys.length === 0) return false;
  const to = new URL(url.href);
  to.hostname = address;
  if (keys.some((p) => UrlPattern.matches(p, to))) return true;
  const inner = parseIpHost(address, words) === 6 ? embeddedIpv4(words) : undefined;
  if (inner === undefined) return false;
  to.hostname = v4Text(inner);
  return keys.some((p) => UrlPattern.matches(p, to));
};

/** One request's check: throws its refusal, or returns the address to pin (`undefined`: nothing to pin). */
class Check {
  private readonly words = new Uint32Array(4);
  readonly host: string;
  /** The host without a trailing dot, as it is resolved. */
  readonly name: string;
  readonly port: number;
  constructor(private readonly policy: Policy, private readonly request: Request, readonly url: URL) {
    this.host = url.hostname;
    this.name = this.host.endsWith(".") ? this.host.slice(0, -1) : this.host;
    this.port = url.port === "" ? DEFAULT_PORTS[url.protocol] ?? 0 : Number(url.port);
  }

  refuse(address: string, rule: BlockedRule): never {
    throw new BlockedAddress(this.request, { host: this.host, address, port: this.port, rule });
  }

  /** Everything that can be decided from the URL; `true` when the destination is trusted as written. */
  byUrl(): boolean {
    const { policy, url } = this;
    if (policy.deny.some((p) => UrlPattern.matches(p, url))) this.refuse(this.host, "denied");
    if (policy.allow.some((p) => UrlPattern.matches(p, url))) return true;
    if (policy.ports !== undefined && !policy.ports.has(this.port)) this.refuse(this.host, "port");
    return false;
  }

  /** Refuses `address` (URL host form) when it is special and not allowed, or denied. */
  address(address: string): void {
    const { policy, url, words } = this;
    if (addressMatches(policy.denyAddresses, url, address, words)) this.refuse(address, "denied");
    const family = parseIpHost(address, words);
    const rule = family === 0 ? "reserved" : classifyAddress(family, words);
    if (rule !== undefined && !addressMatches(policy.allowAddresses, url, address, words)) this.refuse(address, rule);
  }

  /** The checked addresses of a name, the first one to pin. */
  resolved(addresses: ReadonlyArray<string>): string {
    if (addresses.length === 0) throw this.unresolved(new Error("no address"));
    let first: string | undefined;
    for (const text of addresses) {
      const address = typeof text === "string" ? addressHost(text) : undefined;
      if (address === undefined) throw this.unresolved(new Error(`${JSON.stringify(text)} is not an address`));
      this.address(address);
      first ??= address;
    }
    return first!;
  }

  /** The refusal for a name that did not resolve (`cause`: the resolver's error, or what was wrong). */
  unresolved(cause: unknown): ConnectError {
    if (cause instanceof ConnectError) return cause;
    const e = cause as { code?: unknown; message?: unknown } | undefined;
    const why = typeof e?.code === "string" ? e.code : typeof e?.message === "string" ? e.message : String(cause);
    return new ConnectError(this.request, {
      detail: `the SSRF guard could not resolve ${this.host} (${why}), so nothing was sent`,
      cause,
    });
  }
}

/**
 * An SSRF guard plugin: refuses, before anything is sent, a request whose
 * destination is loopback, private, link-local, CGNAT, unspecified,
 * multicast, reserved, documentation, benchmarking or a cloud metadata
 * endpoint, unless `allow` permits it (`BlockedAddress`, naming the host, the
 * address and the rule). Names are resolved and every address is checked;
 * on Bun the connection is pinned to the checked address. Put it last in
 * `plugins`. Needs `--allow-net` on Deno (for the lookups, as for fetch).
 *
 * @example Refusing a private address, whatever its spelling
 * ```ts
 * import { BlockedAddress, Client, guard, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   transport: HandlerTransport.make(() => new Response("internal")),
 *   plugins: [guard()],
 * });
 * for (const url of ["http://127.0.0.1/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/"]) {
 *   const error = await client.fetch(url).catch((e) => e);
 *   console.assert(error instanceof BlockedAddress, url);
 * }
 * ```
 *
 * @example Allowing one internal service
 * ```ts
 * import { Client, guard, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   transport: HandlerTransport.make(() => new Response("metrics")),
 *   plugins: [guard({ allow: ["http://10.0.0.7:9090"] })],
 * });
 * console.assert((await (await client.fetch("http://10.0.0.7:9090/")).text()) === "metrics");
 * ```
 */
export const guard = (options: GuardOptions = {}): Plugin => {
  const o = checkOptions(options, "guard");
  const allow = parseKeys(o.allow, "guard.allow");
  const deny = parseKeys(o.deny, "guard.deny");
  const policy: Policy = {
    allow,
    allowAddresses: allow.filter(isAddressKey),
    deny,
    denyAddresses: deny.filter(isAddressKey),
    ports: o.ports === undefined ? undefined : new Set(o.ports),
    resolve: o.resolve ?? systemResolve,
  };
  const plugin: Plugin = (next) =>
    Transport.wrap(next, {
      name: "guard",
      handle: (request) =>
        Effect.flatMap(refusing(() => checkUrl(policy, request)), (check) => {
          if (check === undefined) return next.handle(request);
          return Effect.tryPromise({ try: () => lookup(policy, check), catch: (error) => check.unresolved(error) })
            .pipe(
              Effect.flatMap((addresses) => refusing(() => pinConnection(request, check.resolved(addresses)))),
              Effect.andThen(next.handle(request)),
            );
        }),
      fetch: (request, nextFetch) => {
        let check: Check | undefined;
        try {
          check = checkUrl(policy, request);
        } catch (error) {
          return Promise.reject(error);
        }
        if (check === undefined) return nextFetch(request);
        const found = check;
        return untilAborted(
          lookup(policy, found).catch((error) => Promise.reject(found.unresolved(error))),
          request.signal,
        )
          .then((addresses) => {
            pinConnection(request, found.resolved(addresses));
            return nextFetch(request);
          });
      },
    });
  Object.defineProperty(plugin, "name", { value: "guard" });
  return plugin;
};

/**
 * The checks the URL alone decides (they throw the refusal); the check that
 * still needs the name resolved, or `undefined` when the request may go.
 */
const checkUrl = (policy: Policy, request: Request): Check | undefined => {
  const url = new URL(request.url);
  // No host (data:, file:): not a network destination; the transport refuses what it cannot send.
  if (url.hostname === "") return undefined;
  const check = new Check(policy, request, url);
  if (check.byUrl()) return undefined;
  const host = check.host;
  if (parseIpHost(host, SCRATCH) !== 0) {
    check.address(host);
    return undefined;
  }
  for (const [matches, answer] of KNOWN_NAMES) {
    if (!matches(check.name)) continue;
    if (answer === "metadata") check.refuse(host, answer);
    pinConnection(request, check.resolved([answer]));
    return undefined;
  }
  return check;
};

const SCRATCH = new Uint32Array(4);

/** `f` on the Effect lane: its thrown refusal (a TransportError) fails, anything else it throws is a defect. */
const refusing = <A>(f: () => A): Effect.Effect<A, TransportError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f());
    } catch (error) {
      return isTransportError(error) ? Effect.fail(error) : Effect.die(error);
    }
  });

/** The resolver's answer for the check's name; a synchronous throw becomes a rejection. */
const lookup = (policy: Policy, check: Check): Promise<ReadonlyArray<string>> => {
  try {
    return policy.resolve(check.name);
  } catch (error) {
    return Promise.reject(error);
  }
};
