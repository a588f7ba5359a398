/**
 * Bearer tokens (RFC 6750): a static token, or a source that fetches one,
 * called on first use and again once after a 401. Concurrent requests share
 * one fetch: while it runs every request waits for it, and a 401 to a request
 * that carried an old token re-sends with the token another request already
 * refreshed instead of fetching again.
 *
 * @module
 */
import { type Context, Effect } from "effect";
import { CredentialsError, InvalidOptions } from "../core/errors.ts";
import { type AuthScheme, CONTROL, defineScheme } from "./auth_scheme.ts";

/**
 * Where `bearer` gets its token: the token itself, a function returning it
 * (or a Promise of it), or an Effect that produces it. A source is called on
 * first use and again once after a 401; an Effect source runs with the
 * services of the fiber that needed the token first, detached from it (an
 * interrupted caller does not cancel a fetch other requests are waiting for).
 *
 * @example
 * ```ts
 * import { type Context, Effect } from "effect";
 * import type { TokenSource } from "@switchyard/switchyard";
 * const fixed: TokenSource = "tok_123";
 * const fromFunction: TokenSource = async () => "tok_" + Date.now();
 * const fromEffect: TokenSource = Effect.succeed("tok_456");
 * ```
 */
export type TokenSource = string | (() => string | Promise<string>) | Effect.Effect<string, unknown>;

/** A bearer token is one header-safe word: no whitespace, no control characters. */
const isToken = (u: unknown): u is string => typeof u === "string" && u !== "" && !/\s/.test(u) && !CONTROL.test(u);

/** Thrown inside a fetch whose result is not a token (told apart from the source's own failure). */
class NotAToken extends Error {}

const header = (token: unknown): string => {
  if (!isToken(token)) throw new NotAToken();
  return `Bearer ${token}`;
};

const fetchFailed = (request: Request, cause: unknown): CredentialsError =>
  new CredentialsError(request, {
    detail: cause instanceof NotAToken
      ? "the bearer token source returned something that is not a token (a non-empty string without spaces)"
      : "the bearer token source failed",
    cause: cause instanceof NotAToken ? undefined : cause,
  });

const fromSource = (source: Exclude<TokenSource, string>): AuthScheme => {
  let current: string | undefined;
  let pending: Promise<string> | undefined;
  const start = (context: Context.Context<never>): Promise<string> => {
    const run: Promise<unknown> = Effect.isEffect(source)
      ? Effect.runPromiseWith(context)(source)
      : Promise.resolve().then(source);
    return run.then(header).then(
      (value) => {
        current = value;
        pending = undefined;
        return value;
      },
      (cause) => {
        pending = undefined;
        throw cause;
      },
    );
  };
  // Joins the fetch in flight, or starts one.
  const obtain = (request: Request): Effect.Effect<string, CredentialsError> =>
    Effect.flatMap(Effect.context<never>(), (context) => {
      const shared = pending ??= start(context);
      return Effect.tryPromise({ try: () => shared, catch: (cause) => fetchFailed(request, cause) });
    });
  return defineScheme("bearer", {
    first: (request) => current ?? obtain(request),
    retry: (request, _response, sent, attempt) => {
      if (attempt > 1) return null;
      // Another request refreshed it since this one was sent: use that token rather than fetching again.
      if (pending === undefined && current !== undefined && current !== sent) return current;
      return obtain(request);
    },
  });
};

/**
 * Bearer credentials (RFC 6750). A static token costs one header set per
 * request. A token source (function or Effect) is called on first use and
 * once more after a 401, the request then re-sent once; concurrent requests
 * share one call. A source that fails, or returns something that is not a
 * token, fails the request with `CredentialsError` (never sent; the message
 * does not quote the source's error, which is kept as `cause`).
 *
 * @example A token fetched once, refreshed after a 401
 * ```ts
 * import { auth, bearer, Client, HandlerTransport } from "@switchyard/switchyard";
 * let issued = 0;
 * let valid = "";
 * const login = () => (valid = `tok_${++issued}`);
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) =>
 *     new Response(null, { status: request.headers.get("authorization") === `Bearer ${valid}` ? 204 : 401 })
 *   ),
 *   plugins: [auth({ "https://api.test": bearer(login) })],
 * });
 * console.assert((await client.fetch("https://api.test/a")).status === 204 && issued === 1);
 * valid = "revoked"; // the server forgets the token: the next call refreshes it once
 * console.assert((await client.fetch("https://api.test/b")).status === 204 && issued === 2);
 * ```
 */
export const bearer = (token: TokenSource): AuthScheme => {
  if (typeof token === "string") {
    if (!isToken(token)) {
      throw new InvalidOptions({
        option: "bearer(token)",
        received: token === "" ? "an empty string" : "a string with spaces or control characters (not shown)",
        expected: "a token: one word without spaces, CR, LF or other control characters",
      });
    }
    const value = `Bearer ${token}`;
    return defineScheme("bearer", { fixed: value, first: () => value });
  }
  if (typeof token !== "function" && !Effect.isEffect(token)) {
    throw new InvalidOptions({
      option: "bearer(token)",
      received: token === null ? "null" : typeof token,
      expected: "a token string, a function returning one (or a Promise of one), or an Effect producing one",
    });
  }
  return fromSource(token);
};
