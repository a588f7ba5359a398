/**
 * Credentials per origin: `auth(rules)` gives each request the Authorization
 * of the rule that matches its URL (mount-key syntax and priority, compiled
 * by the router), and nothing when none matches. Redirects are followed by
 * the client, each hop back through the plugins, so a hop to another origin
 * (whose Authorization the client has dropped) gets credentials only if a
 * rule matches that origin. Header values never reach a log record or an
 * error: the logging plugin logs no headers, and every error here names the
 * option or the request, never the secret.
 *
 * @module
 */
import { InvalidOptions } from "../core/errors.ts";
import { number, object, optional } from "../core/options.ts";
import type { Plugin } from "../core/plugin.ts";
import { UrlPattern } from "../router/pattern.ts";
import { Router } from "../router/router.ts";
import { lazyPlugin } from "./lazy.ts";
import {
  type AuthScheme,
  basicHeader,
  checkCredential,
  defineScheme,
  logicOf,
  type SchemeLogic,
} from "./auth_scheme.ts";

/**
 * `auth`'s rules: mount keys (`"https://api.example.com"`, `"all://*.internal"`,
 * `"all://10.0.0.0/8"`, ...) to a scheme, or to `null` to send nothing for
 * URLs a broader key would otherwise cover. The most specific key wins, as
 * in `mounts`.
 *
 * @example
 * ```ts
 * import { type AuthRules, basic, bearer } from "@switchyard/switchyard";
 * const rules: AuthRules = {
 *   "https://api.example.com": bearer("tok_123"),
 *   "all://*.internal": basic("svc", "pw"),
 *   "all://public.internal": null,
 * };
 * ```
 */
export type AuthRules =
  | Readonly<Record<string, AuthScheme | null>>
  | Iterable<readonly [string, AuthScheme | null]>;

/**
 * Options of `auth`.
 *
 * @example
 * ```ts
 * import { type AuthOptions } from "@switchyard/switchyard";
 * const options: AuthOptions = { maxReplayBytes: 64 * 1024 };
 * ```
 */
export interface AuthOptions {
  /**
   * The largest request body kept to send again after a 401 (digest's
   * challenge, a bearer token refreshed), in bytes; default 1 MiB. A larger
   * body is not re-sent: the caller gets the 401. `0` never re-sends a body.
   * Only schemes that may answer a 401 copy anything.
   */
  readonly maxReplayBytes?: number;
}

const checkOptions = object({
  maxReplayBytes: optional(number("a whole number of bytes, 0 or more", { min: 0, integer: true })),
});

const DEFAULT_REPLAY_BYTES = 1024 * 1024;

const toEntries = (rules: AuthRules): Array<readonly [string, AuthScheme | null]> => {
  if (typeof rules !== "object" || rules === null) {
    throw new InvalidOptions({
      option: "auth(rules)",
      received: rules === null ? "null" : typeof rules,
      expected: 'an object of mount key to scheme, e.g. { "https://api.example.com": bearer(token) }',
    });
  }
  return Symbol.iterator in rules
    ? [...(rules as Iterable<readonly [string, AuthScheme | null]>)]
    : Object.entries(rules as Record<string, AuthScheme | null>);
};

/** The rules as a router of scheme logic (or `null`), every key and value checked. */
const compileRules = (rules: AuthRules) => {
  const entries = toEntries(rules).map(([key, scheme]): readonly [string, SchemeLogic | null] => {
    const option = `auth(rules)[${JSON.stringify(key)}]`;
    const bad = typeof key === "string" ? UrlPattern.validate(key) : undefined;
    if (typeof key !== "string" || bad !== undefined) {
      throw new InvalidOptions({
        option,
        received: bad?.received ?? `a ${typeof key} key`,
        expected: bad?.expected ?? "a mount key string",
      });
    }
    if (scheme === null) return [key, null];
    const logic = logicOf(scheme);
    if (logic === undefined) {
      throw new InvalidOptions({
        option,
        received: typeof scheme === "object" ? "an object not made by basic, bearer, digest or netrc" : typeof scheme,
        expected: "basic(user, password), bearer(token), digest(user, password), netrc(), or null",
      });
    }
    return [key, logic];
  });
  return Router.make(entries);
};

/**
 * Sends credentials per origin: each request gets the Authorization of the
 * most specific rule matching its URL, and a hop of a redirect to another
 * origin gets one only if a rule matches there too. Where a rule matches,
 * its credential replaces an Authorization the request carries (as HTTPX's
 * `auth` does); map a key to `null` to leave those URLs alone.
 *
 * Basic and a static bearer token cost one header set on the Promise lane
 * (no Promise, no Effect run). Digest and a bearer token source answer a 401
 * once (digest twice when the server says its nonce is `stale`), re-sending
 * a body only from a complete copy of at most `maxReplayBytes`.
 *
 * @example Per-origin credentials, checked by an in-process app
 * ```ts
 * import { auth, basic, bearer, Client, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) => new Response(request.headers.get("authorization"))),
 *   plugins: [auth({ "https://api.test": bearer("tok_123"), "all://*.internal": basic("svc", "pw") })],
 * });
 * console.assert((await (await client.fetch("https://api.test/me")).text()) === "Bearer tok_123");
 * console.assert((await (await client.fetch("http://db.internal/")).text()) === "Basic c3ZjOnB3");
 * console.assert((await (await client.fetch("https://elsewhere.test/")).text()) === "");
 * ```
 */
export const auth = (rules: AuthRules, options: AuthOptions = {}): Plugin => {
  const router = compileRules(rules);
  const replayLimit = checkOptions(options, "auth(options)").maxReplayBytes ?? DEFAULT_REPLAY_BYTES;
  // The flows (a token refreshed on a 401, digest's challenge) load with the first request (plugins/lazy.ts).
  return lazyPlugin("auth", () => import("./auth_lanes.ts").then((lanes) => lanes.authLanes(router, replayLimit)));
};

/**
 * HTTP Basic credentials (RFC 7617), encoded once as UTF-8. A `user` with a
 * colon, or either part with a control character, is refused (the value is
 * never shown in the error).
 *
 * @example
 * ```ts
 * import { auth, basic, Client, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) => new Response(request.headers.get("authorization"))),
 *   plugins: [auth({ "all://": basic("Aladdin", "open sesame") })],
 * });
 * console.assert((await (await client.fetch("http://x.test/")).text()) === "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * ```
 */
export const basic = (user: string, password: string): AuthScheme => {
  checkCredential(user, "basic(user)");
  checkCredential(password, "basic(password)");
  if (user.includes(":")) {
    throw new InvalidOptions({
      option: "basic(user)",
      received: "a user name with a colon",
      expected: "a user name without ':' (RFC 7617: the colon separates it from the password)",
    });
  }
  const header = basicHeader(user, password);
  return defineScheme("basic", { fixed: header, first: () => header });
};
