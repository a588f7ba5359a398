/**
 * Redaction of credentials before a URL or header reaches an error message or a log.
 *
 * @module
 */

/** Query parameters whose values are treated as secrets. */
const SECRET_PARAM = /token|secret|password|passwd|pwd|api[-_]?key|apikey|auth|signature|sig|credential|session/i;

/** What stands in for a redacted value. */
export const REDACTED = "[redacted]";

/**
 * Returns `url` with its userinfo and secret-looking query values replaced by
 * `[redacted]`. Input that does not parse as a URL is returned with anything
 * before an `@` in its authority hidden, so a malformed URL cannot leak either.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * redactUrl("https://user:pw@example.com/a?token=abc&q=1");
 * // "https://[redacted]@example.com/a?token=%5Bredacted%5D&q=1"
 * ```
 */
export const redactUrl = (url: string | URL): string => {
  const text = String(url);
  // Fast path: nothing that could hold a secret.
  if (!text.includes("@") && !text.includes("?")) return text;
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : new URL(url.href);
  } catch {
    return text.replace(/^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`);
  }
  const hadUserinfo = parsed.username !== "" || parsed.password !== "";
  parsed.username = "";
  parsed.password = "";
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(key)) parsed.searchParams.set(key, REDACTED);
  }
  const out = parsed.href;
  return hadUserinfo ? out.replace("://", `://${REDACTED}@`) : out;
};

/** Header names whose values are secrets. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
]);

/**
 * Whether a header's value must never be logged.
 *
 * @example
 * ```ts
 * import { isSecretHeader } from "./redact.ts";
 * isSecretHeader("Authorization"); // true
 * ```
 */
export const isSecretHeader = (name: string): boolean => SECRET_HEADERS.has(name.toLowerCase());
