/**
 * The lanes of `guard()` (guard.ts), loaded with its first request: the
 * check of each URL and resolved address, and the pin.
 *
 * @module
 */
import { Effect } from "effect";
import {
  BlockedAddress,
  type BlockedRule,
  ConnectError,
  isTransportError,
  type TransportError,
} from "../core/errors.ts";
import { pinConnection } from "../core/connect_pin.ts";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import { parseIpHost } from "../router/ip.ts";
import { UrlPattern } from "../router/pattern.ts";
import { addressHost, classifyAddress, embeddedIpv4 } from "./guard_ranges.ts";
import { type Resolve, systemResolve, untilAborted } from "./guard_resolve.ts";

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

const v4Text = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** What one guard knows: its keys, ports and resolver. */
export interface Policy {
  readonly allow: ReadonlyArray<UrlPattern>;
  readonly allowAddresses: ReadonlyArray<UrlPattern>;
  readonly deny: ReadonlyArray<UrlPattern>;
  readonly denyAddresses: ReadonlyArray<UrlPattern>;
  readonly ports: ReadonlySet<number> | undefined;
  /** The resolver (`systemResolve` when the user gave none). */
  readonly resolve: Resolve | undefined;
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
 * The guard plugin for a checked `policy`.
 *
 * @example
 * ```ts
 * import { guardLanes } from "./guard_lanes.ts";
 * const plugin = guardLanes({ allow: [], allowAddresses: [], deny: [], denyAddresses: [], ports: undefined, resolve: undefined });
 * ```
 */
export const guardLanes = (policy: Policy): Plugin => {
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
    return (policy.resolve ?? systemResolve)(check.name);
  } catch (error) {
    return Promise.reject(error);
  }
};
