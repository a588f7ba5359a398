/**
 * Redaction of credentials before a URL or header reaches an error message or a log.
 *
 * @module
 */

/** Query parameters whose values are treated as secrets. */
const SECRET_PARAM = /token|secret|password|passwd|pwd|api[-_]?key|apikey|auth|signature|sig|credential|session/i;

/**
 * Whether a query parameter's (or form field's) name looks like it holds a
 * secret (`token`, `api_key`, `password`, `signature`, ...).
 *
 * @example
 * ```ts
 * import { isSecretQueryKey } from "./redact.ts";
 * isSecretQueryKey("access_token"); // true
 * isSecretQueryKey("page"); // false
 * ```
 */
export const isSecretQueryKey = (name: string): boolean => SECRET_PARAM.test(name);

/** What stands in for a redacted value. */
export const REDACTED = "[redacted]";

/**
 * Returns `url` with its userinfo and secret-looking query values replaced by
 * `[redacted]` (`isSecretKey` says which keys are secret; by default
 * `isSecretQueryKey`). Input that does not parse as a URL is returned with
 * anything before an `@` in its authority hidden, so a malformed URL cannot
 * leak either.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * redactUrl("https://user:pw@example.com/a?token=abc&q=1");
 * // "https://[redacted]@example.com/a?token=%5Bredacted%5D&q=1"
 * ```
 */
export const redactUrl = (url: string | URL, isSecretKey: (name: string) => boolean = isSecretQueryKey): string => {
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
    if (isSecretKey(key)) parsed.searchParams.set(key, REDACTED);
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

const FORM = /^application\/x-www-form-urlencoded\b/i;

const redactJson = (value: unknown, isSecretKey: (name: string) => boolean): unknown => {
  if (Array.isArray(value)) return value.map((v) => redactJson(v, isSecretKey));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : redactJson(v, isSecretKey);
  return out;
};

/**
 * `text` with the values of secret-looking fields replaced by `[redacted]`:
 * the fields of a JSON body (at any depth), or of a form body
 * (`application/x-www-form-urlencoded`). Any other text is returned as it is.
 * A JSON body comes back re-serialised without whitespace.
 *
 * @example
 * ```ts
 * import { redactBody } from "./redact.ts";
 * redactBody('{"user":"ada","password":"hunter2"}', "application/json"); // '{"user":"ada","password":"[redacted]"}'
 * redactBody("user=ada&token=abc", "application/x-www-form-urlencoded"); // "user=ada&token=%5Bredacted%5D"
 * ```
 */
export const redactBody = (
  text: string,
  contentType: string | null | undefined,
  isSecretKey: (name: string) => boolean = isSecretQueryKey,
): string => {
  if (FORM.test(contentType ?? "")) {
    const params = new URLSearchParams(text);
    let changed = false;
    for (const key of new Set(params.keys())) {
      if (isSecretKey(key)) {
        params.set(key, REDACTED);
        changed = true;
      }
    }
    return changed ? params.toString() : text;
  }
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return text;
  try {
    return JSON.stringify(redactJson(JSON.parse(text), isSecretKey));
  } catch {
    return text;
  }
};

/**
 * A body for a message: secret-looking fields redacted (`redactBody`), cut to
 * `max` characters.
 *
 * @example
 * ```ts
 * import { bodyExcerpt } from "./redact.ts";
 * bodyExcerpt('{"token":"abc"}', "application/json"); // '{"token":"[redacted]"}'
 * ```
 */
export const bodyExcerpt = (text: string, contentType: string | null | undefined, max = 120): string => {
  const redacted = redactBody(text, contentType);
  return redacted.length > max ? `${redacted.slice(0, max)}… (${redacted.length} characters)` : redacted;
};
