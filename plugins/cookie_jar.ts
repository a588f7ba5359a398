/**
 * A client cookie jar on tough-cookie (RFC 6265 with the public suffix list
 * through tldts, `__Host-`/`__Secure-` prefixes, potentially trustworthy
 * origins), loaded on first use: importing it costs ~30 ms on Deno and
 * ~10 ms on Bun (a fresh process, `await import("tough-cookie")`), so a jar
 * that has never held a cookie never loads it.
 *
 * Two things are done here rather than by tough-cookie:
 * - Time. tough-cookie reads `Date.now()` when it matches cookies and counts
 *   `Max-Age` from a cookie's last access, which every read moves (so a
 *   cookie read more often than its `Max-Age` never expires). Here `Max-Age`
 *   becomes an absolute expiry when the cookie is stored, from the caller's
 *   clock (Effect's `Clock` on the Effect lane, so `TestClock` moves it), and
 *   expiry is checked against that clock.
 * - Persistence. `toJSON`/`fromJSON` use tough-cookie's cookie format; a jar
 *   restored from JSON loads tough-cookie only when it is first used.
 *
 * @module
 */
import type * as Tough from "tough-cookie";
import { InvalidOptions } from "../core/errors.ts";

type ToughModule = typeof Tough;

let tough: ToughModule | undefined;
let loading: Promise<ToughModule> | undefined;
/** tough-cookie, imported once, on first need. */
const loadTough = (): Promise<ToughModule> => loading ??= import("tough-cookie").then((m) => (tough = m));

/**
 * One cookie in a jar.
 *
 * @example
 * ```ts
 * import type { StoredCookie } from "@switchyard/switchyard";
 * const show = (c: StoredCookie) => `${c.name} for ${c.hostOnly ? "" : "*."}${c.domain}${c.path}`;
 * ```
 */
export interface StoredCookie {
  /** Its name. */
  readonly name: string;
  /** Its value. */
  readonly value: string;
  /** The host it was set by (`hostOnly`), or the domain it covers with its subdomains. */
  readonly domain: string;
  /** Whether only `domain` itself gets it (no `Domain` attribute was given). */
  readonly hostOnly: boolean;
  /** The path it is sent under. */
  readonly path: string;
  /** Sent only over https (and to localhost, a secure context). */
  readonly secure: boolean;
  /** Set with `HttpOnly` (a client sends it like any other). */
  readonly httpOnly: boolean;
  /** When it expires, in milliseconds since the epoch; absent for a session cookie. */
  readonly expires?: number;
}

/**
 * A jar as JSON: `cookies` in tough-cookie's serialized cookie format (so a
 * `CookieJar.serializeSync()` of tough-cookie itself can be read too).
 *
 * @example
 * ```ts
 * import { CookieJar, type CookieJarJSON } from "@switchyard/switchyard";
 * const saved: CookieJarJSON = CookieJar.make().toJSON();
 * console.assert(saved.cookies.length === 0);
 * ```
 */
export interface CookieJarJSON {
  /** The cookies, each as tough-cookie's `Cookie.toJSON()` writes it. */
  readonly cookies: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/**
 * A client cookie jar: stores `Set-Cookie` for the URL that sent it, and
 * gives the `Cookie` header for a URL, by RFC 6265: public suffixes refused
 * as `Domain`, host-only versus domain cookies, the default path, path
 * matching, `Max-Age` over `Expires`, `Secure` only to https (and localhost),
 * the `__Host-` and `__Secure-` prefix rules, replacement by name, domain and
 * path, and longest path first, then oldest. Pass it to `cookies({ jar })`.
 *
 * @example
 * ```ts
 * import { CookieJar } from "@switchyard/switchyard";
 * const jar = CookieJar.make();
 * await jar.setCookie("sid=1; Path=/app; HttpOnly", "https://example.com/app/login");
 * await jar.setCookie("theme=dark", "https://example.com/");
 * await jar.setCookie("evil=1; Domain=com", "https://example.com/"); // a public suffix: refused
 * console.assert((await jar.cookieHeader("https://example.com/app/x")) === "sid=1; theme=dark");
 * console.assert((await jar.cookieHeader("https://other.test/")) === "");
 * ```
 */
export interface CookieJar {
  /**
   * Stores one `Set-Cookie` value as if `url` had sent it, at time `now`
   * (milliseconds since the epoch, default `Date.now()`); resolves to whether
   * it was kept (a refused one, such as a public-suffix `Domain`, is not).
   */
  setCookie(setCookie: string, url: string | URL, now?: number): Promise<boolean>;
  /** The `Cookie` header the jar sends to `url` at time `now` (`""` when none). */
  cookieHeader(url: string | URL, now?: number): Promise<string>;
  /** Every cookie kept (expired ones included until a request to their URL drops them). */
  cookies(): Promise<ReadonlyArray<StoredCookie>>;
  /** Forgets every cookie. */
  clear(): void;
  /** The jar as JSON, for `CookieJar.fromJSON`. */
  toJSON(): CookieJarJSON;
}

/**
 * `CookieJar`'s constructors.
 *
 * @example
 * ```ts
 * import { CookieJar, type CookieJarStatics } from "@switchyard/switchyard";
 * const statics: CookieJarStatics = CookieJar;
 * ```
 */
export interface CookieJarStatics {
  /** An empty jar, in memory. */
  make(): CookieJar;
  /**
   * A jar holding the cookies of `json` (from `toJSON`, as an object or a
   * string).
   * @throws {InvalidOptions} when `json` has no `cookies` array.
   */
  fromJSON(json: CookieJarJSON | string): CookieJar;
}

/** What the `cookies` plugin reads synchronously. */
export interface JarCore {
  /** Whether the jar may hold a cookie: false for a jar that never held one (the plugin then does nothing). */
  readonly active: boolean;
  /** Whether `headerFor` and `store` can run now (it opens the jar when tough-cookie is already loaded). */
  ready(): boolean;
  /** Loads tough-cookie (and the cookies of `fromJSON`). */
  load(): Promise<void>;
  /** The jar's part of the `Cookie` header for `url`, leaving out the names in `except`. Needs `ready()`. */
  headerFor(url: string, now: number, except: ReadonlySet<string> | undefined): string;
  /** Stores `setCookies`, received from `url`; returns how many were kept. Needs `ready()`. */
  store(setCookies: ReadonlyArray<string>, url: string, now: number): number;
}

const CORE: unique symbol = Symbol("switchyard/cookie-jar");

/**
 * The synchronous side of a jar, for the `cookies` plugin.
 *
 * @example
 * ```ts
 * import { CookieJar, coreOf } from "./cookie_jar.ts";
 * coreOf(CookieJar.make()).active; // false: never held a cookie
 * ```
 */
export const coreOf = (jar: CookieJar): JarCore => {
  const core = (jar as { [CORE]?: JarCore })[CORE];
  if (core === undefined) {
    throw new InvalidOptions({
      option: "cookies(options).jar",
      received: "an object not made by CookieJar.make or CookieJar.fromJSON",
      expected: "a CookieJar (CookieJar.make())",
    });
  }
  return core;
};

/** When `cookie` expires (after `fixExpiry`), in ms; `Infinity` for a session cookie. */
const expiryOf = (cookie: Tough.Cookie): number => cookie.expires instanceof Date ? cookie.expires.getTime() : Infinity;

/** `Max-Age` as an absolute expiry from `now`: tough-cookie would count it from every read (see the module). */
const fixExpiry = (cookie: Tough.Cookie, now: number): void => {
  const maxAge = cookie.maxAge;
  if (maxAge === null || maxAge === undefined) return;
  const ms = maxAge === "Infinity" ? Infinity : maxAge === "-Infinity" ? -Infinity : maxAge * 1000;
  cookie.expires = ms === Infinity ? "Infinity" : new Date(ms <= 0 ? 0 : now + ms);
  cookie.maxAge = null;
};

const toStored = (c: Tough.Cookie): StoredCookie => {
  const expires = expiryOf(c);
  const out = {
    name: c.key,
    value: c.value,
    domain: c.domain ?? "",
    hostOnly: c.hostOnly ?? false,
    path: c.path ?? "/",
    secure: c.secure,
    httpOnly: c.httpOnly,
  };
  return expires === Infinity ? out : { ...out, expires };
};

const make = (restore?: CookieJarJSON): CookieJar => {
  let jar: Tough.CookieJar | undefined;
  let pending = restore;
  let active = (restore?.cookies.length ?? 0) > 0;

  const remove = (c: Tough.Cookie): void => {
    void jar!.store.removeCookie(c.domain!, c.path!, c.key, () => {});
  };
  const open = (t: ToughModule): Tough.CookieJar => {
    if (jar !== undefined) return jar;
    jar = new t.CookieJar(new t.MemoryCookieStore(), { rejectPublicSuffixes: true, allowSecureOnLocal: true });
    for (const json of pending?.cookies ?? []) {
      const cookie = t.Cookie.fromJSON(json);
      if (cookie === undefined || cookie.domain === null || cookie.path === null) continue;
      fixExpiry(cookie, cookie.creation instanceof Date ? cookie.creation.getTime() : Date.now());
      void jar.store.putCookie(cookie, () => {});
    }
    pending = undefined;
    return jar;
  };
  const load = async (): Promise<void> => void open(tough ?? await loadTough());

  const core: JarCore = {
    get active() {
      return active;
    },
    ready: () => jar !== undefined || (tough !== undefined && open(tough) !== undefined),
    load,
    headerFor: (url, now, except) => {
      let header = "";
      for (const cookie of jar!.getCookiesSync(url, { expire: false, sort: true })) {
        if (expiryOf(cookie) <= now) {
          remove(cookie);
          continue;
        }
        if (except?.has(cookie.key)) continue;
        header += header === "" ? cookie.cookieString() : `; ${cookie.cookieString()}`;
      }
      return header;
    },
    store: (setCookies, url, now) => {
      const t = tough!;
      let kept = 0;
      for (const line of setCookies) {
        const cookie = t.Cookie.parse(line);
        if (cookie === undefined) continue;
        fixExpiry(cookie, now);
        const stored = jar!.setCookieSync(cookie, url, { now: new Date(now), ignoreError: true });
        if (stored === undefined) continue;
        kept++;
        active = true;
        // An expiry in the past deletes the cookie it replaced (RFC 6265 §5.3 step 11).
        if (expiryOf(stored) <= now) remove(stored);
      }
      return kept;
    },
  };

  const jarValue: CookieJar = {
    setCookie: async (setCookie, url, now = Date.now()) => {
      await load();
      return core.store([setCookie], String(url), now) > 0;
    },
    cookieHeader: async (url, now = Date.now()) => {
      if (!active) return "";
      await load();
      return core.headerFor(String(url), now, undefined);
    },
    cookies: async () => {
      if (!active) return [];
      await load();
      let all: Array<Tough.Cookie> = [];
      // The memory store answers synchronously.
      void jar!.store.getAllCookies((error, cookies) => void (all = error ? [] : cookies ?? []));
      return all.map(toStored);
    },
    clear: () => {
      jar?.removeAllCookiesSync();
      pending = undefined;
      active = false;
    },
    toJSON: () => {
      if (jar === undefined) return { cookies: pending?.cookies ?? [] };
      return { cookies: jar.serializeSync()!.cookies };
    },
  };
  Object.defineProperty(jarValue, CORE, { value: core, enumerable: false });
  return jarValue;
};

const fromJSON = (json: CookieJarJSON | string): CookieJar => {
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch {
      value = undefined;
    }
  }
  const cookies = (value as { cookies?: unknown } | undefined)?.cookies;
  if (typeof value !== "object" || value === null || !Array.isArray(cookies)) {
    throw new InvalidOptions({
      option: "CookieJar.fromJSON(json)",
      received: typeof json === "string" ? "a string that is not a jar's JSON" : typeof json,
      expected: "what CookieJar's toJSON() returned: an object with a `cookies` array",
    });
  }
  return make({ cookies: cookies.filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null) });
};

/**
 * The `CookieJar` constructors.
 *
 * @example Persisting a jar
 * ```ts
 * import { CookieJar } from "@switchyard/switchyard";
 * const jar = CookieJar.make();
 * await jar.setCookie("sid=abc; Max-Age=3600", "https://example.com/");
 * const saved = JSON.stringify(jar.toJSON());
 * const restored = CookieJar.fromJSON(saved);
 * console.assert((await restored.cookieHeader("https://example.com/")) === "sid=abc");
 * ```
 */
export const CookieJar: CookieJarStatics = { make: () => make(), fromJSON };
