/**
 * What an auth scheme is to the `auth` plugin: an opaque value (`basic(...)`,
 * `bearer(...)`, `digest(...)`, `netrc()`) whose behaviour is kept in a
 * module-private WeakMap, not on the value, so that printing (even with
 * `showHidden`), logging or `JSON.stringify`-ing a rule shows
 * `{ scheme: "basic" }` and never the secret. The map is read once per rule,
 * when `auth` compiles its rules.
 *
 * @module
 */
import type { Effect } from "effect";
import { InvalidOptions, type TransportError } from "../core/errors.ts";
import { fail } from "../core/options.ts";

/**
 * A credential for `auth(rules)`: made by `basic`, `bearer`, `digest` or
 * `netrc`. Its secret is not reachable from the value (it prints as
 * `{ scheme: "basic" }`).
 *
 * @example
 * ```ts
 * import { type AuthScheme, basic } from "@switchyard/switchyard";
 * const scheme: AuthScheme = basic("ada", "s3cret");
 * console.assert(JSON.stringify(scheme) === '{"scheme":"basic"}');
 * ```
 */
export interface AuthScheme {
  /** Which kind of credential it is. */
  readonly scheme: "basic" | "bearer" | "digest" | "netrc";
}

/** A value now, or an Effect that gets it (a token being fetched). */
export type Pending<A> = A | Effect.Effect<A, TransportError>;

/**
 * How a scheme behaves, in three questions the plugin asks it. The plugin
 * drives the exchange (both lanes, body replay, cancelling the 401's body);
 * a scheme only answers.
 */
export interface SchemeLogic {
  /** The one Authorization of a scheme that sends the same for every request (basic, a static token): the hot path. */
  readonly fixed?: string;
  /** The Authorization for the first attempt; `undefined` leaves the request as it is (digest, before any challenge). */
  readonly first: (request: Request) => Pending<string | undefined>;
  /**
   * After a 401 to attempt number `attempt` (1 for the first) that carried
   * `sent`: the Authorization for one more attempt, or `null` to hand the 401
   * to the caller. Absent when the scheme never re-sends (basic, a static
   * token): then the plugin does no per-request work beyond setting a header.
   */
  readonly retry?: (request: Request, response: Response, sent: string | undefined, attempt: number) => Pending<
    string | null
  >;
  /** Sees every answer that is not a 401 (digest reads `Authentication-Info`). */
  readonly answered?: (request: Request, response: Response) => void;
}

const LOGIC = new WeakMap<object, SchemeLogic>();

/**
 * Makes the public value of a scheme: a frozen `{ scheme }`, its `logic`
 * kept aside.
 *
 * @example
 * ```ts
 * import { defineScheme } from "./auth_scheme.ts";
 * const none = defineScheme("basic", { first: () => undefined });
 * ```
 */
export const defineScheme = (scheme: AuthScheme["scheme"], logic: SchemeLogic): AuthScheme => {
  const value = Object.freeze({ scheme });
  LOGIC.set(value, logic);
  return value;
};

/**
 * The logic of a scheme, or `undefined` when `u` is not one (how `auth`
 * checks its rules).
 *
 * @example
 * ```ts
 * import { defineScheme, logicOf } from "./auth_scheme.ts";
 * logicOf(defineScheme("basic", { first: () => "Basic eA==" })) !== undefined; // true
 * logicOf({ scheme: "basic" }); // undefined: not made by a scheme constructor
 * ```
 */
export const logicOf = (u: unknown): SchemeLogic | undefined =>
  typeof u === "object" && u !== null ? LOGIC.get(u) : undefined;

/**
 * Control characters (CR, LF, NUL, ...) and DEL: never in a header value.
 *
 * @example
 * ```ts
 * import { CONTROL } from "./auth_scheme.ts";
 * CONTROL.test("a\r\nb"); // true
 * ```
 */
// deno-lint-ignore no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Refuses a credential part with a control character (a CR/LF would inject a
 * header), naming the option but never echoing the value.
 *
 * @example
 * ```ts
 * import { checkCredential } from "./auth_scheme.ts";
 * checkCredential("ada", "basic(user)"); // "ada"
 * ```
 */
export const checkCredential = (value: unknown, option: string): string => {
  if (typeof value !== "string") return fail(option, value, "a string");
  if (CONTROL.test(value)) {
    throw new InvalidOptions({
      option,
      received: "a string with a control character (the value is not shown: it may be a secret)",
      expected: "text without CR, LF, NUL or other control characters",
    });
  }
  return value;
};

/**
 * `Basic base64(user ":" password)` (RFC 7617), the text encoded as UTF-8
 * (its `charset="UTF-8"`, the encoding every current server expects).
 *
 * @example
 * ```ts
 * import { basicHeader } from "./auth_scheme.ts";
 * console.assert(basicHeader("Aladdin", "open sesame") === "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
 * ```
 */
export const basicHeader = (user: string, password: string): string => {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
};
