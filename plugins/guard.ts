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
import { InvalidOptions } from "../core/errors.ts";
import { array, custom, number, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { isIpLiteral } from "../router/ip.ts";
import { UrlPattern } from "../router/pattern.ts";
import type { Policy } from "./guard_lanes.ts";
import type { Resolve } from "./guard_resolve.ts";
import { lazyPlugin } from "./lazy.ts";

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

/** Whether a key is about addresses (a CIDR, or an IP literal host), so it applies after resolution. */
const isAddressKey = (p: UrlPattern): boolean =>
  p.hostMatch === "cidr" || (p.hostMatch === "exact" && (p.domain.startsWith("[") || isIpLiteral(p.domain)));

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
    resolve: o.resolve,
  };
  // The checks load with the first request (plugins/lazy.ts).
  return lazyPlugin("guard", () => import("./guard_lanes.ts").then((lanes) => lanes.guardLanes(policy)));
};
