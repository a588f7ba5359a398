/**
 * The compiled index a `Router` resolves against, built once from ranked
 * routes. Hosts (exact, `*.d` and `*d` alike) go into one hash table keyed by
 * the host text, chained on collisions; under each host, routes are split by
 * port, then by scheme; a (host, port, scheme) leaf with many path keys also
 * gets a map by path. CIDR ranges cannot be hashed: they sit in a short list
 * in rank order. The lookup itself lives in `router.ts`.
 *
 * @module
 */
import type { UrlPattern } from "./pattern.ts";

/**
 * One compiled entry: the key, its parsed pattern, its value and its rank
 * (0 = the most specific key).
 *
 * @example
 * ```ts
 * import { Router } from "@switchyard/switchyard/router";
 * const route = Router.make({ "https://": "tls" }).resolve(new URL("https://x.test/"));
 * route?.key; // "https://"
 * ```
 */
export interface Route<V> {
  /** The key as written. */
  readonly key: string;
  /** The parsed key. */
  readonly pattern: UrlPattern;
  /** What the key was mounted with. */
  readonly value: V;
  /** Position in priority order, 0 first. */
  readonly rank: number;
}

/**
 * One (host, port, scheme) bucket: entries that differ only by path (and key spelling).
 *
 * @example
 * ```ts
 * import { buildHostIndex, type Leaf } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const index = buildHostIndex([{ key: "all://", pattern: UrlPattern.parse("all://"), value: 1, rank: 0 }]);
 * const leaf: Leaf<number> | undefined = index.anyHost.any?.any;
 * leaf?.list[0].key; // "all://"
 * ```
 */
export interface Leaf<V> {
  /** The routes, in rank order. */
  readonly list: Array<Route<V>>;
  /** How many of them have a path. */
  paths: number;
  /** The first route for each path, when there are more than `PATH_SCAN_LIMIT` paths. */
  byPath: Map<string, Route<V>> | undefined;
  /** With `byPath`: the first route without a path. */
  anyPath: Route<V> | undefined;
}

/**
 * Leaves by scheme (`"http:"`); `any` holds the keys with no scheme.
 *
 * @example
 * ```ts
 * import { buildHostIndex, type SchemeNode } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const index = buildHostIndex([{ key: "http://", pattern: UrlPattern.parse("http://"), value: 1, rank: 0 }]);
 * const node: SchemeNode<number> | undefined = index.anyHost.any;
 * node?.schemes.has("http:"); // true
 * ```
 */
export interface SchemeNode<V> {
  /** Leaves by scheme with its colon (`"http:"`). */
  readonly schemes: Map<string, Leaf<V>>;
  /** The leaf of keys with no scheme. */
  any: Leaf<V> | undefined;
}

/**
 * Scheme nodes by port (`"8080"`); `any` holds the keys with no port.
 *
 * @example
 * ```ts
 * import { buildHostIndex, type HostNode } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const index = buildHostIndex([{ key: "all://*:8080", pattern: UrlPattern.parse("all://*:8080"), value: 1, rank: 0 }]);
 * const node: HostNode<number> = index.anyHost;
 * node.ports.has("8080"); // true
 * ```
 */
export interface HostNode<V> {
  /** Scheme nodes by port text (`"8080"`). */
  readonly ports: Map<string, SchemeNode<V>>;
  /** The scheme node of keys with no port. */
  any: SchemeNode<V> | undefined;
}

/**
 * Every key naming one host text: exactly, as `*.text` and as `*text`. Chained on hash collisions.
 *
 * @example
 * ```ts
 * import { buildHostIndex, type HostBucket, hashRight } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const key = "all://*.example.com";
 * const index = buildHostIndex([{ key, pattern: UrlPattern.parse(key), value: 1, rank: 0 }]);
 * const bucket: HostBucket<number> | undefined = index.hosts.get(hashRight("example.com", 0, 11));
 * bucket?.subdomains !== undefined; // true
 * ```
 */
export interface HostBucket<V> {
  /** The host text (a pattern's `domain`). */
  readonly text: string;
  /** Keys for exactly `text`. */
  exact: HostNode<V> | undefined;
  /** Keys for `*.text`. */
  subdomains: HostNode<V> | undefined;
  /** Keys for `*text`. */
  domain: HostNode<V> | undefined;
  /** The next bucket with the same hash. */
  next: HostBucket<V> | undefined;
}

/**
 * A CIDR route with its scheme (`"http:"`) and port (`"8080"`) as the lookup spells them; `""` for any.
 *
 * @example
 * ```ts
 * import { buildHostIndex, type CidrEntry } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const key = "http://10.0.0.0/8";
 * const entry: CidrEntry<number> = buildHostIndex([{ key, pattern: UrlPattern.parse(key), value: 1, rank: 0 }]).cidrs[0];
 * entry.scheme; // "http:"
 * ```
 */
export interface CidrEntry<V> {
  /** The route. */
  readonly route: Route<V>;
  /** Its scheme with the colon (`"http:"`), `""` for any. */
  readonly scheme: string;
  /** Its port text, `""` for any. */
  readonly port: string;
}

/**
 * The compiled index: what `buildHostIndex` returns.
 *
 * @example
 * ```ts
 * import { buildHostIndex, type HostIndex } from "./host_index.ts";
 * const index: HostIndex<never> = buildHostIndex([]);
 * index.hosts.size; // 0
 * ```
 */
export interface HostIndex<V> {
  /** Host buckets by `hashRight` of their text. */
  readonly hosts: Map<number, HostBucket<V>>;
  /** The keys with no host (`all://`, `https://`, `all://*:8080`). */
  readonly anyHost: HostNode<V>;
  /** The CIDR keys, in rank order. */
  readonly cidrs: ReadonlyArray<CidrEntry<V>>;
  /** The longest wildcard domain. */
  readonly longest: number;
  /** `suffixLengths[n] === 1` when some wildcard domain has length `n`: the walk probes a suffix only when one could hit. */
  readonly suffixLengths: Uint8Array;
}

/** Above this many path keys in one bucket, paths are looked up segment by segment instead of tried in turn. */
const PATH_SCAN_LIMIT = 4;

/**
 * Hash of `text[start, end)` read right to left, the order the lookup walks a
 * host (it inlines the same step, so the two must agree).
 *
 * @example
 * ```ts
 * import { hashRight } from "./host_index.ts";
 * hashRight("a.example.com", 2, 13) === hashRight("example.com", 0, 11); // true
 * ```
 */
export const hashRight = (text: string, start: number, end: number): number => {
  let h = 0;
  for (let k = end - 1; k >= start; k--) h = (Math.imul(h, 31) + text.charCodeAt(k)) & 0x3fffffff;
  return h;
};

const insertInto = <V>(node: HostNode<V>, route: Route<V>): void => {
  const { port, scheme } = route.pattern;
  let schemes = port === undefined ? node.any : node.ports.get(String(port));
  if (schemes === undefined) {
    schemes = { schemes: new Map(), any: undefined };
    if (port === undefined) node.any = schemes;
    else node.ports.set(String(port), schemes);
  }
  let leaf = scheme === "" ? schemes.any : schemes.schemes.get(`${scheme}:`);
  if (leaf === undefined) {
    leaf = { list: [], paths: 0, byPath: undefined, anyPath: undefined };
    if (scheme === "") schemes.any = leaf;
    else schemes.schemes.set(`${scheme}:`, leaf);
  }
  leaf.list.push(route);
  if (route.pattern.path !== "") leaf.paths++;
};

const newHostNode = <V>(): HostNode<V> => ({ ports: new Map(), any: undefined });

const indexPaths = <V>(node: HostNode<V>): void => {
  for (const schemes of [...node.ports.values(), node.any]) {
    for (const leaf of schemes ? [...schemes.schemes.values(), schemes.any] : []) {
      if (leaf === undefined || leaf.paths <= PATH_SCAN_LIMIT) continue;
      const byPath = new Map<string, Route<V>>();
      for (const route of leaf.list) {
        const path = route.pattern.path;
        if (path === "") leaf.anyPath ??= route;
        else if (!byPath.has(path)) byPath.set(path, route);
      }
      leaf.byPath = byPath;
    }
  }
};

/** The bucket for `text`, created on first use. */
const bucketFor = <V>(table: Map<number, HostBucket<V>>, text: string): HostBucket<V> => {
  const h = hashRight(text, 0, text.length);
  let bucket = table.get(h);
  while (bucket !== undefined && bucket.text !== text) bucket = bucket.next;
  if (bucket === undefined) {
    bucket = { text, exact: undefined, subdomains: undefined, domain: undefined, next: table.get(h) };
    table.set(h, bucket);
  }
  return bucket;
};

/**
 * Compiles `routes` (in rank order) into the index.
 *
 * @example
 * ```ts
 * import { buildHostIndex } from "./host_index.ts";
 * import { UrlPattern } from "./pattern.ts";
 * const keys = ["all://*.example.com", "all://10.0.0.0/8", "https://"];
 * const index = buildHostIndex(keys.map((key, rank) => ({ key, pattern: UrlPattern.parse(key), value: rank, rank })));
 * [index.hosts.size, index.cidrs.length, index.longest]; // [1, 1, 11]
 * ```
 */
export const buildHostIndex = <V>(routes: ReadonlyArray<Route<V>>): HostIndex<V> => {
  const hosts = new Map<number, HostBucket<V>>();
  const anyHost: HostNode<V> = newHostNode();
  const cidrs: Array<CidrEntry<V>> = [];
  let longest = 0;
  for (const route of routes) {
    const p = route.pattern;
    if (p.hostMatch === "any") insertInto(anyHost, route);
    else if (p.hostMatch === "cidr") {
      cidrs.push({
        route,
        scheme: p.scheme === "" ? "" : `${p.scheme}:`,
        port: p.port === undefined ? "" : `${p.port}`,
      });
    } else {
      const bucket = bucketFor(hosts, p.domain);
      const kind = p.hostMatch;
      insertInto(bucket[kind] ??= newHostNode(), route);
      if (kind !== "exact") longest = Math.max(longest, p.domain.length);
    }
  }
  // Which lengths a wildcard domain has: the walk probes a suffix only when one could hit.
  const suffixLengths = new Uint8Array(longest + 1);
  for (const head of hosts.values()) {
    for (let b: HostBucket<V> | undefined = head; b !== undefined; b = b.next) {
      if (b.subdomains || b.domain) suffixLengths[b.text.length] = 1;
      for (const node of [b.exact, b.subdomains, b.domain]) if (node) indexPaths(node);
    }
  }
  indexPaths(anyHost);
  return { hosts, anyHost, cidrs, longest, suffixLengths };
};
