/**
 * Redaction: the one rule applied wherever Switchyard stores or prints a URL
 * or a message (error messages, `url` and `detail` fields, option errors,
 * log records): userinfo is replaced by `[redacted]`, and so is the value of
 * every secret-looking query (or fragment) parameter.
 *
 * A parameter is secret when its name, lowercased with `-`, `.` and
 * camelCase boundaries read as `_`, is one of `key`, `code`, `sig`,
 * `api_key`, `access_key`, `private_key`, `client_secret` (or a name given
 * to `configureRedaction`), or when one of its words is `token`, `secret`,
 * `password`, `passwd`, `pwd`, `passphrase`, `signature`, `credential(s)`,
 * `auth`, `authorization`, `session`, `apikey` or `jwt`. So `access_token`,
 * `X-Amz-Signature`, `apiKey` and `sessionId` are secret; `monkey`, `author`
 * and `zip_code` are not.
 *
 * @module
 */

/** What stands in for a redacted value. */
export const REDACTED = "[redacted]";

/** Whole names that are secret (after `normalise`). */
const SECRET_NAMES = new Set(["key", "code", "sig", "api_key", "access_key", "private_key", "client_secret"]);
/** Words that make any name secret. */
const SECRET_WORDS = new Set([
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "signature",
  "credential",
  "credentials",
  "auth",
  "authorization",
  "session",
  "apikey",
  "jwt",
]);

/** Header names whose values are secrets. */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
]);

/** Names added by `configureRedaction` (normalised), replaced as a whole by each call. */
let extraParams: ReadonlySet<string> = new Set();
let extraHeaders: ReadonlySet<string> = new Set();

/** `accessToken`, `Access-Token` and `access.token` all become `access_token`. */
const normalise = (name: string): string =>
  name.replace(/([a-z\d])([A-Z])/g, "$1_$2").toLowerCase().replace(/[-.\s]+/g, "_");

/**
 * Whether a query parameter named `name` holds a secret (see the module docs for the rule).
 *
 * @example
 * ```ts
 * import { isSecretParam } from "./redact.ts";
 * console.assert(isSecretParam("access_token") && isSecretParam("X-Amz-Signature") && isSecretParam("apiKey"));
 * console.assert(!isSecretParam("page") && !isSecretParam("monkey"));
 * ```
 */
export const isSecretParam = (name: string): boolean => {
  const n = normalise(name);
  if (SECRET_NAMES.has(n) || extraParams.has(n)) return true;
  for (const word of n.split("_")) if (SECRET_WORDS.has(word)) return true;
  return false;
};

/**
 * Whether a header's value must never be logged.
 *
 * @example
 * ```ts
 * import { isSecretHeader } from "./redact.ts";
 * isSecretHeader("Authorization"); // true
 * ```
 */
export const isSecretHeader = (name: string): boolean => {
  const n = name.toLowerCase();
  return SECRET_HEADERS.has(n) || extraHeaders.has(n);
};

/**
 * Replaces the names added to the built-in rule (the built-ins always stay):
 * each call sets the whole list, so `setExtraSecrets([], [])` restores the
 * defaults. The public, validated face is `configureRedaction`.
 *
 * @example
 * ```ts
 * import { isSecretParam, setExtraSecrets } from "./redact.ts";
 * setExtraSecrets(["otp"], []);
 * console.assert(isSecretParam("otp"));
 * setExtraSecrets([], []);
 * ```
 */
export const setExtraSecrets = (params: Iterable<string>, headers: Iterable<string>): void => {
  extraParams = new Set([...params].map(normalise));
  extraHeaders = new Set([...headers].map((h) => h.toLowerCase()));
};

/** Decodes a form-encoded name for the rule; a malformed escape is read as written. */
const decodeName = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return raw;
  }
};

/** `a=1&token=x` with every secret value replaced; other pairs are kept byte for byte. */
const redactPairs = (pairs: string, isSecret: (name: string) => boolean): string => {
  if (!pairs.includes("=")) return pairs;
  let changed = false;
  const out = pairs.split(/([&;])/).map((part) => {
    const eq = part.indexOf("=");
    if (eq <= 0 || !isSecret(decodeName(part.slice(0, eq)))) return part;
    changed = true;
    return `${part.slice(0, eq + 1)}${REDACTED}`;
  });
  return changed ? out.join("") : pairs;
};

/** The query and fragment of a URL's text (from its first `?` or `#`), secret values replaced. */
const redactTail = (tail: string, isSecret: (name: string) => boolean): string => {
  const hash = tail.indexOf("#");
  const query = hash < 0 ? tail : tail.slice(0, hash);
  const fragment = hash < 0 ? "" : tail.slice(hash);
  const q = query.startsWith("?") ? `?${redactPairs(query.slice(1), isSecret)}` : query;
  return fragment === "" ? q : `${q}#${redactPairs(fragment.slice(1), isSecret)}`;
};

/**
 * Returns `url` with its userinfo and secret-looking query and fragment values
 * replaced by `[redacted]`, everything else as it was (`isSecret` says which
 * names are secret; by default the module's rule, `isSecretParam`). Text that does not
 * parse as a URL gets the same treatment by its shape (whatever sits before
 * an `@` in the authority, and secret `name=value` pairs after a `?` or `#`),
 * so a malformed URL cannot leak either.
 *
 * @example
 * ```ts
 * import { redactUrl } from "./redact.ts";
 * redactUrl("https://user:pw@example.com/a?token=abc&q=1"); // "https://[redacted]@example.com/a?token=[redacted]&q=1"
 * redactUrl("http://u:pw@127.0.0.1:99999/?token=t"); // not a URL (bad port): "http://[redacted]@127.0.0.1:99999/?token=[redacted]"
 * ```
 */
export const redactUrl = (url: string | URL, isSecret: (name: string) => boolean = isSecretParam): string => {
  const text = typeof url === "string" ? url : url.href;
  // Fast path: nothing that could hold a secret.
  if (!text.includes("@") && !text.includes("?") && !text.includes("#")) return text;
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    // Not a URL: by its shape.
    return redactShape(text, false, isSecret);
  }
  // Without an authority (`a:://u:pw@h`, `user:pw@host`), the userinfo rule cannot tell: read it warily.
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(parsed.href)) return redactShape(parsed.href, false, isSecret);
  if (parsed.username === "" && parsed.password === "") return redactShape(parsed.href, true, isSecret);
  const copy = new URL(parsed.href);
  copy.username = "";
  copy.password = "";
  return redactShape(copy.href.replace("://", `://${REDACTED}@`), true, isSecret);
};

/**
 * Userinfo and secret pairs of the query and fragment, by the text's shape.
 * `parsed`: a URL with an authority, which ends at its first `/`, `?` or
 * `#`. Otherwise the text (unparsable, or a URL without `//` such as
 * `user:pw@proxy:3128`, whose scheme is `user:`) is read warily: whatever
 * lies between its first `://` (or its start) and its last `@` is userinfo
 * (a password may hold `/`, `?` or `#`), and pairs are redacted from its
 * first `?` or `#` on.
 */
const redactShape = (text: string, parsed: boolean, isSecret: (name: string) => boolean): string => {
  const sep = text.indexOf("://");
  const start = sep < 0 ? 0 : sep + 3;
  let end = text.length;
  if (parsed) {
    for (const c of "/?#") {
      const i = text.indexOf(c, start);
      if (i >= 0 && i < end) end = i;
    }
  }
  let out = text;
  const at = text.lastIndexOf("@", end - 1);
  if (at >= start && text.slice(start, at) !== REDACTED) {
    out = `${text.slice(0, start)}${REDACTED}${text.slice(at)}`;
    end += out.length - text.length;
  }
  const from = parsed ? end : 0;
  const mark = out.slice(from).search(/[?#]/);
  return mark < 0 ? out : out.slice(0, from + mark) + redactTail(out.slice(from + mark), isSecret);
};

/** A URL inside free text: a scheme, `://`, then anything up to a space, a quote or a bracket. */
const URL_IN_TEXT = /\b[a-z][a-z\d+.-]*:\/\/[^\s()<>"'`]+/gi;
/** A `name=value` pair outside a URL, at the start or after a separator. */
const PAIR_IN_TEXT = /(^|[\s?&;,(])([\w.-]+)=([^\s&;,()"'`]+)/g;

/**
 * Redacts every URL quoted in `text` (by `redactUrl`'s rule) and every
 * secret-looking `name=value` pair standing on its own: for messages that
 * come from elsewhere (a runtime's error, an app's thrown error) before
 * Switchyard stores or prints them.
 *
 * @example
 * ```ts
 * import { redactText } from "./redact.ts";
 * redactText("failed for http://u:pw@api.test/x?token=abc (retry with api_key=k1)");
 * // "failed for http://[redacted]@api.test/x?token=[redacted] (retry with api_key=[redacted])"
 * ```
 */
export const redactText = (text: string): string => {
  if (!text.includes("=") && !text.includes("@")) return text;
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url)).replace(
    PAIR_IN_TEXT,
    (pair, before: string, name: string) =>
      isSecretParam(name) && !pair.endsWith(REDACTED) ? `${before}${name}=${REDACTED}` : pair,
  );
};

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
  isSecretKey: (name: string) => boolean = isSecretParam,
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
