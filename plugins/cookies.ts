/**
 * `cookies()`: a cookie jar for a client. Every response's `Set-Cookie` is
 * stored for the URL that was sent; every request gets the jar's cookies for
 * its URL, after the `Cookie` header the caller set (merged, never replaced:
 * a name the caller set is not sent twice). Each redirect hop comes back
 * through the plugins, so a hop gets exactly the cookies the jar's rules give
 * its URL; the caller's own `Cookie` the client drops on a hop to another
 * origin. The jar's cookies go on a copy of the request, never on the
 * caller's: a redirect built from the caller's request does not carry the
 * previous hop's jar cookies.
 *
 * @module
 */
import { Clock, Effect } from "effect";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import { CookieJar, coreOf, type JarCore } from "./cookie_jar.ts";

/**
 * Options of `cookies`.
 *
 * @example
 * ```ts
 * import { CookieJar, type CookiesOptions } from "@switchyard/switchyard";
 * const options: CookiesOptions = { jar: CookieJar.make() };
 * ```
 */
export interface CookiesOptions {
  /** The jar to use (to share it, inspect it or persist it); default a new, empty one. */
  readonly jar?: CookieJar;
}

/**
 * The `cookies` plugin, with its jar.
 *
 * @example
 * ```ts
 * import { cookies, type CookiesPlugin } from "@switchyard/switchyard";
 * const plugin: CookiesPlugin = cookies();
 * plugin.jar.toJSON(); // { cookies: [] }
 * ```
 */
export type CookiesPlugin = Plugin & {
  /** The jar the plugin stores into and sends from. */
  readonly jar: CookieJar;
};

/** The cookie names in a `Cookie` header the caller set. */
const namesIn = (header: string): Set<string> => {
  const names = new Set<string>();
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    names.add((eq < 0 ? pair : pair.slice(0, eq)).trim());
  }
  return names;
};

/** `request` with the jar's cookies after the caller's, on a copy; `request` itself when the jar has none for it. */
const outgoing = (core: JarCore, request: Request, now: number): Request => {
  const own = request.headers.get("cookie");
  const fromJar = core.headerFor(request.url, now, own === null ? undefined : namesIn(own));
  if (fromJar === "") return request;
  const headers = new Headers(request.headers);
  headers.set("cookie", own === null || own === "" ? fromJar : `${own}; ${fromJar}`);
  return new Request(request, { headers });
};

/**
 * A cookie jar for a client: stores what responses set, sends what the jar
 * holds for each request's URL (RFC 6265 through tough-cookie: public
 * suffixes refused, host-only and domain cookies, default path and path
 * matching, `Max-Age` over `Expires`, `Secure` only to https and localhost,
 * `__Host-`/`__Secure-` prefixes, replacement by name, domain and path,
 * longest path first). A `Cookie` header the caller set is kept, and the
 * jar's cookies follow it. Expiry runs on Effect's `Clock` on the Effect lane
 * (so `TestClock` moves it) and on `Date.now()` on the Promise lane.
 *
 * Until the jar holds a cookie the plugin only looks for `Set-Cookie` on
 * each response: tough-cookie is not even loaded.
 *
 * @example A session cookie, kept and sent back
 * ```ts
 * import { Client, cookies, HandlerTransport } from "@switchyard/switchyard";
 * const jar = cookies();
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) =>
 *     new URL(request.url).pathname === "/login"
 *       ? new Response(null, { status: 204, headers: { "set-cookie": "sid=abc; Path=/; HttpOnly" } })
 *       : new Response(request.headers.get("cookie"))
 *   ),
 *   plugins: [jar],
 * });
 * await client.fetch("https://app.test/login");
 * const echoed = await client.fetch("https://app.test/me", { headers: { cookie: "lang=en" } });
 * console.assert((await echoed.text()) === "lang=en; sid=abc"); // the caller's cookie first, merged
 * console.assert((await jar.jar.cookies()).length === 1);
 * ```
 */
export const cookies = (options: CookiesOptions = {}): CookiesPlugin => {
  const jar = options.jar ?? CookieJar.make();
  const core = coreOf(jar);

  const storePromise = (response: Response, sent: Request): Response | Promise<Response> => {
    if (!response.headers.has("set-cookie")) return response;
    const lines = response.headers.getSetCookie();
    if (core.ready()) {
      core.store(lines, sent.url, Date.now());
      return response;
    }
    return core.load().then(() => (core.store(lines, sent.url, Date.now()), response));
  };
  const storeEffect = (response: Response, sent: Request): Effect.Effect<Response> => {
    if (!response.headers.has("set-cookie")) return Effect.succeed(response);
    const lines = response.headers.getSetCookie();
    const store = Effect.map(Clock.currentTimeMillis, (now) => (core.store(lines, sent.url, now), response));
    return core.ready() ? store : Effect.andThen(Effect.promise(core.load), store);
  };

  const plugin: Plugin = (next) =>
    Transport.wrap(next, {
      name: "cookies",
      handle: (request) => {
        const send = (sent: Request) => Effect.flatMap(next.handle(sent), (response) => storeEffect(response, sent));
        if (!core.active) return send(request);
        const withJar = Effect.flatMap(Clock.currentTimeMillis, (now) => send(outgoing(core, request, now)));
        return core.ready() ? withJar : Effect.andThen(Effect.promise(core.load), withJar);
      },
      fetch: (request, nextFetch) => {
        if (!core.active) return nextFetch(request).then((response) => storePromise(response, request));
        const send = () => {
          const sent = outgoing(core, request, Date.now());
          return nextFetch(sent).then((response) => storePromise(response, sent));
        };
        return core.ready() ? send() : core.load().then(send);
      },
    });
  Object.defineProperty(plugin, "name", { value: "cookies" });
  return Object.assign(plugin, { jar });
};
