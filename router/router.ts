/**
 * A compiled set of mount keys: `resolve(url)` returns what a sorted linear
 * scan (HTTPX's `_transport_for_url`) would, without scanning.
 *
 * Keys are compiled once, into `host_index.ts`'s index. Hosts (exact, `*.d`
 * and `*d` alike) go into one hash table keyed by the host text; under each
 * host, keys are split by port, then by scheme; path prefixes are looked up
 * segment by segment when a bucket holds many. A lookup reads the URL's
 * serialisation in place and walks its host right to left, hashing as it goes,
 * so at every dot it has the hash of that label suffix (`b.example.com`,
 * `example.com`, `com`) without slicing a string. Each entry carries its rank
 * in priority order and the lowest-ranked candidate wins, so the answer equals
 * the first match of the sorted list. CIDR ranges cannot be hashed: they sit
 * in a short list read only when the URL's host is an IP literal. Resolving
 * among 10,000 keys costs about what resolving among 10 does;
 * `bench/router_bench.ts` measures it.
 *
 * @module
 */
import { InvalidOptions, InvalidUrl } from "../core/errors.ts";
import { buildHostIndex, type HostNode, type Leaf, type Route, type SchemeNode } from "./host_index.ts";
import { cidrContains, parseIpHost } from "./ip.ts";
import { UrlPattern } from "./pattern.ts";

export type { Route } from "./host_index.ts";

/**
 * A compiled routing table. Build one with `Router.make`.
 *
 * @example
 * ```ts
 * import { Router } from "@switchyard/switchyard/router";
 * const router: Router<string> = Router.make([["all://", "proxy"], ["all://*.internal", "direct"]]);
 * router.resolve(new URL("http://db.internal/"))?.value; // "direct"
 * ```
 */
export interface Router<V> {
  /** Every entry, in priority order (the order a linear scan would try them). */
  readonly routes: ReadonlyArray<Route<V>>;
  /**
   * The winning entry for `url` (a `URL`, a `Request`: its URL is used, or
   * an absolute URL string, parsed first), or `undefined` when no key matches.
   * Hot path (a `URL` or a `Request`): no scan, no regex, no allocation beyond
   * the port text and, for big path buckets, the path.
   * @throws {InvalidUrl} when `url` is a string that is not an absolute URL, or not a string, URL or Request.
   */
  resolve(url: string | URL | Request): Route<V> | undefined;
  /**
   * Every entry matching `url` (as `resolve` takes it), winner first: the
   * "why did my request go there" view. Scans; not for the hot path.
   * @throws {InvalidUrl} as `resolve` does.
   */
  explain(url: string | URL | Request): Array<Route<V>>;
}

/**
 * `Router`'s constructor.
 *
 * @example
 * ```ts
 * import { Router, type RouterStatics } from "@switchyard/switchyard/router";
 * const routers: RouterStatics = Router;
 * routers.make(new Map([["all://", 1]])).routes.length; // 1
 * ```
 */
export interface RouterStatics {
  /**
   * Compiles `entries` (a record, a `Map`, or `[key, value]` pairs). A key
   * given twice keeps its first position and its last value, like a Python dict.
   * A record's own keys are read as they are: `"__proto__"` is a key like any other.
   * @throws {InvalidOptions} naming the first bad key, or when `entries` is none of those shapes.
   */
  make<V>(entries: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): Router<V>;
}

const better = <V>(a: Route<V> | undefined, b: Route<V> | undefined): Route<V> | undefined =>
  b === undefined ? a : a === undefined || b.rank < a.rank ? b : a;

// The lookup reads the URL's serialisation (`href` / `Request.url`) in place: URL getters cost
// 50-110 ns each on Bun, and a serialised URL is canonical, so scanning it is exact.
// These hold the current URL's parts; `resolve` is synchronous and never re-entered.
let href = "";
let pathStart = 0;
let pathEnd = -1;

/** Where the path ends (at `?` or `#`), found only when some bucket has path keys. */
const pathEndOf = (): number => {
  if (pathEnd < 0) {
    const query = href.indexOf("?", pathStart);
    const fragment = href.indexOf("#", pathStart);
    pathEnd = query < 0 ? (fragment < 0 ? href.length : fragment) : fragment < 0 ? query : Math.min(query, fragment);
  }
  return pathEnd;
};

const searchLeaf = <V>(leaf: Leaf<V>): Route<V> | undefined => {
  if (leaf.paths === 0) return leaf.list[0];
  const pathEnd = pathEndOf();
  const byPath = leaf.byPath;
  if (byPath === undefined) {
    for (const route of leaf.list) {
      const prefix = route.pattern.path;
      const n = prefix.length;
      if (
        n === 0 || (pathEnd - pathStart >= n && href.startsWith(prefix, pathStart) &&
          (pathEnd - pathStart === n || href.charCodeAt(pathStart + n) === 47))
      ) return route;
    }
    return undefined;
  }
  // Longest prefix first: within a leaf, a longer path is a better rank.
  const path = href.slice(pathStart, pathEnd);
  for (let end = path.length; end > 0; end = path.lastIndexOf("/", end - 1)) {
    const route = byPath.get(end === path.length ? path : path.slice(0, end));
    if (route !== undefined) return route;
  }
  return leaf.anyPath;
};

const searchSchemes = <V>(node: SchemeNode<V>, scheme: string, best: Route<V> | undefined): Route<V> | undefined => {
  let leaf = node.schemes.size === 0 ? undefined : node.schemes.get(scheme);
  if (leaf !== undefined && (best === undefined || leaf.list[0].rank < best.rank)) {
    best = better(best, searchLeaf(leaf));
  }
  leaf = node.any;
  if (leaf !== undefined && (best === undefined || leaf.list[0].rank < best.rank)) {
    best = better(best, searchLeaf(leaf));
  }
  return best;
};

const searchHost = <V>(
  node: HostNode<V> | undefined,
  scheme: string,
  port: string,
  best: Route<V> | undefined,
): Route<V> | undefined => {
  if (node === undefined) return best;
  if (port !== "" && node.ports.size !== 0) {
    const byPort = node.ports.get(port);
    if (byPort !== undefined) best = searchSchemes(byPort, scheme, best);
  }
  return node.any === undefined ? best : searchSchemes(node.any, scheme, best);
};

const ENTRIES = "an object of mount key to value, a Map, or an array of [key, value] pairs";

const toPairs = <V>(entries: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): Map<string, V> => {
  if (typeof entries !== "object" || entries === null) {
    throw new InvalidOptions({
      option: "mounts",
      received: entries === null ? "null" : typeof entries,
      expected: ENTRIES,
    });
  }
  // A Map keeps a re-set key in its first position, as a Python dict does.
  const pairs = new Map<string, V>();
  if (!(Symbol.iterator in entries)) {
    for (const key of Object.keys(entries)) pairs.set(key, (entries as Record<string, V>)[key]!);
    return pairs;
  }
  let i = 0;
  for (const pair of entries as Iterable<unknown>) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new InvalidOptions({
        option: `mounts[${i}]`,
        received: Array.isArray(pair) ? `an array of ${pair.length}` : pair === null ? "null" : typeof pair,
        expected: "a [key, value] pair",
      });
    }
    const [key, value] = pair;
    if (typeof key !== "string") {
      throw new InvalidOptions({ option: `mounts[${i}][0]`, received: `a ${typeof key} key`, expected: "string keys" });
    }
    pairs.set(key, value as V);
    i++;
  }
  return pairs;
};

/** `resolve`'s argument as a canonical serialisation; throws `InvalidUrl` for anything else. */
const hrefOf = (target: unknown): string => {
  if (typeof target === "string") return parseUrl(target).href;
  const text = (target as URL | undefined)?.href ?? (target as Request | undefined)?.url;
  if (typeof text === "string") return text;
  throw new InvalidUrl({ method: "?", url: "" }, {
    detail: `the router was given ${target === null ? "null" : typeof target}, not a URL string, URL or Request`,
  });
};

/** An absolute URL string as a `URL`; throws `InvalidUrl`. */
const parseUrl = (text: string): URL => {
  try {
    return new URL(text);
  } catch {
    throw new InvalidUrl({ method: "?", url: text }, { detail: "the router needs an absolute URL" });
  }
};

/**
 * `resolve`'s and `explain`'s argument (a URL string, a `URL` or a `Request`) as a `URL`.
 * @throws {InvalidUrl} for a string that is not an absolute URL, or anything else.
 *
 * @example
 * ```ts
 * import { urlOf } from "./router.ts";
 * urlOf(new Request("http://a.test/x")).pathname; // "/x"
 * ```
 */
export const urlOf = (target: unknown): URL => target instanceof URL ? target : parseUrl(hrefOf(target));

/** Whether `text` starts with `http` followed by `:` at `colon` (no builtin call: V8 charges ~10 ns for one). */
const isHttp = (text: string, colon: number): boolean =>
  text.charCodeAt(colon) === 58 && text.charCodeAt(0) === 104 && text.charCodeAt(1) === 116 &&
  text.charCodeAt(2) === 116 && text.charCodeAt(3) === 112;

const make = <V>(entries: Iterable<readonly [string, V]> | Readonly<Record<string, V>>): Router<V> => {
  const parsed = [...toPairs(entries)].map(([key, value]) => ({ key, value, pattern: UrlPattern.parse(key) }));
  // Array sort is stable: equal priorities keep insertion order, as in HTTPX.
  parsed.sort((a, b) => UrlPattern.compare(a.pattern, b.pattern));
  const routes: Array<Route<V>> = parsed.map((p, rank) => ({ ...p, rank }));

  // Destructured once, so the closure below reads constants, not properties of the index.
  const { hosts, anyHost, cidrs, longest, suffixLengths } = buildHostIndex(routes);

  const hasHosts = hosts.size !== 0;
  const hasAny = anyHost.any !== undefined || anyHost.ports.size !== 0;
  const words = new Uint32Array(4);

  const resolve = (target: string | URL | Request): Route<V> | undefined => {
    let text: string | undefined = typeof target === "object" && target !== null
      ? (target as URL).href ?? (target as Request).url
      : undefined;
    if (typeof text !== "string") text = hrefOf(target);
    // Split the serialisation: scheme ":" [ "//" [userinfo "@"] host [":" port] ] path [? query] [# fragment].
    let colon: number;
    let scheme: string;
    if (isHttp(text, 4)) [colon, scheme] = [4, "http:"];
    else if (isHttp(text, 5) && text.charCodeAt(4) === 115) [colon, scheme] = [5, "https:"];
    else [colon, scheme] = [text.indexOf(":"), text.slice(0, text.indexOf(":") + 1)];
    const authority = colon + 3;
    let hostEnd = colon + 1;
    let port = "";
    let i = hostEnd;
    if (text.charCodeAt(i) === 47 && text.charCodeAt(i + 1) === 47) {
      i = text.indexOf("/", authority);
      if (i < 0) i = text.length;
      if (scheme !== "http:" && scheme !== "https:") {
        // Only a non-special URL can end its authority at `?` or `#` (a special one always has a `/` path).
        const query = text.indexOf("?", authority);
        const fragment = text.indexOf("#", authority);
        if (query >= 0 && query < i) i = query;
        if (fragment >= 0 && fragment < i) i = fragment;
      }
      hostEnd = i;
      for (let k = i - 1; k >= authority; k--) {
        const c = text.charCodeAt(k);
        if (c === 58) {
          port = text.slice(k + 1, i);
          hostEnd = k;
          break;
        }
        if (c < 48 || c > 57) break;
      }
    }
    href = text;
    pathStart = i;
    pathEnd = -1;

    let best: Route<V> | undefined;
    let hostStart = hostEnd;
    if (hostEnd > colon + 1) {
      if (hasHosts) {
        // Walk the host right to left, hashing as we go, up to the userinfo's "@" (a literal "@" in
        // userinfo is escaped). At each dot the hash is the suffix's: probe `*.suffix` and `*suffix`
        // (`*.d` needs a character before the dot, as HTTPX's `^.+\.d$` does).
        let h = 0;
        let k = hostEnd - 1;
        for (; k >= authority; k--) {
          const c = text.charCodeAt(k);
          if (c === 64) break;
          if (c === 46 && k > authority && text.charCodeAt(k - 1) !== 64) {
            const n = hostEnd - k - 1;
            if (n <= longest && suffixLengths[n] === 1) {
              for (let b = hosts.get(h); b !== undefined; b = b.next) {
                if (b.text.length === n && text.startsWith(b.text, k + 1)) {
                  best = searchHost(b.subdomains, scheme, port, searchHost(b.domain, scheme, port, best));
                }
              }
            }
          }
          h = (Math.imul(h, 31) + c) & 0x3fffffff; // hashRight's step, inlined
        }
        hostStart = k + 1;
        const n = hostEnd - hostStart;
        for (let b = hosts.get(h); b !== undefined; b = b.next) {
          if (b.text.length === n && text.startsWith(b.text, hostStart)) {
            best = searchHost(b.exact, scheme, port, searchHost(b.domain, scheme, port, best));
          }
        }
      } else if (cidrs.length !== 0) {
        const at = text.lastIndexOf("@", hostEnd - 1);
        hostStart = at >= authority ? at + 1 : authority;
      }
    }
    if (hasAny) best = searchHost(anyHost, scheme, port, best);
    if (cidrs.length !== 0 && hostStart < hostEnd) {
      const first = text.charCodeAt(hostStart);
      const family = first === 91 || (first >= 48 && first <= 57)
        ? parseIpHost(text.slice(hostStart, hostEnd), words)
        : 0;
      if (family !== 0) {
        for (const c of cidrs) {
          if (best !== undefined && c.route.rank > best.rank) break;
          if (
            (c.scheme === "" || c.scheme === scheme) && (c.port === "" || c.port === port) &&
            cidrContains(c.route.pattern.cidr!, family, words)
          ) {
            best = c.route;
            break;
          }
        }
      }
    }
    href = "";
    return best;
  };

  return {
    routes,
    resolve,
    explain: (target: string | URL | Request): Array<Route<V>> => {
      const url = urlOf(target);
      return routes.filter((route) => UrlPattern.matches(route.pattern, url));
    },
  };
};

/**
 * Compiles mount keys into a lookup table.
 *
 * @example
 * ```ts
 * import { Router } from "@switchyard/switchyard/router";
 * const router = Router.make({
 *   "all://": "proxy",
 *   "all://*example.com": "direct",
 *   "all://*:8443": "port 8443",
 *   "https://api.example.com/v2": "v2",
 * });
 * router.resolve(new URL("https://www.example.com/"))?.value; // "direct"
 * router.resolve(new URL("https://example.com:8443/"))?.value; // "port 8443": a port beats a host
 * router.resolve(new URL("https://api.example.com/v2/users"))?.value; // "v2"
 * router.explain(new URL("https://api.example.com/v2")).map((r) => r.key);
 * // ["https://api.example.com/v2", "all://*example.com", "all://"]
 * ```
 */
export const Router: RouterStatics = { make };
