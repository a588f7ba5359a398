/**
 * `configureRedaction`: the public, validated way to widen the redaction rule
 * of `redact.ts` (kept apart so that `redact.ts`, which the option checks
 * themselves use, imports nothing).
 *
 * @module
 */
import { array, custom, object, optional } from "./options.ts";
import { setExtraSecrets } from "./redact.ts";

/**
 * What `configureRedaction` takes: names added to the built-in rule.
 *
 * @example
 * ```ts
 * import type { RedactionOptions } from "@switchyard/switchyard";
 * const options: RedactionOptions = { queryParams: ["otp", "x-tenant-key"], headers: ["x-session"] };
 * ```
 */
export interface RedactionOptions {
  /** More query (and fragment) parameter names whose values are secret; matched as `redact.ts` normalises them (`apiKey` = `api-key` = `api_key`). */
  readonly queryParams?: ReadonlyArray<string>;
  /** More header names whose values are secret (case-insensitive). */
  readonly headers?: ReadonlyArray<string>;
}

const name = custom((u): u is string => typeof u === "string" && u.trim() !== "", "a non-empty name");
const check = object({
  queryParams: optional(array(name, "an array of parameter names")),
  headers: optional(array(name, "an array of header names")),
});

/**
 * Adds names to the redaction rule, process-wide: every error, option error
 * and log record made afterwards redacts those query parameters and headers
 * too. The built-in rule (userinfo; `token`, `api_key`, `key`, `secret`,
 * `password`, `signature`, `sig`, `code`, `access_token`, ...) always
 * applies. Each call replaces the names of the previous one, so
 * `configureRedaction({})` goes back to the built-in rule.
 *
 * @throws {InvalidOptions} when a list is not an array of non-empty strings.
 *
 * @example Redacting a custom one-time-password parameter
 * ```ts
 * import { configureRedaction, ConnectError } from "@switchyard/switchyard";
 * configureRedaction({ queryParams: ["otp"] });
 * const error = new ConnectError({ method: "GET", url: "http://api.test/login?otp=123456&user=ada" });
 * console.assert(error.url === "http://api.test/login?otp=[redacted]&user=ada");
 * configureRedaction({}); // back to the built-in rule
 * ```
 */
export const configureRedaction = (options: RedactionOptions): void => {
  const o = check(options, "configureRedaction");
  setExtraSecrets(o.queryParams ?? [], o.headers ?? []);
};
