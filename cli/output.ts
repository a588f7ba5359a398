/**
 * What the CLI prints: request and response heads (credentials redacted),
 * bodies (JSON indented and coloured when formatting), the meta section and
 * `--explain`. Pure text functions; writing is cli/io.ts's job.
 *
 * @module
 */
import { httpVersion } from "../core/http_version.ts";
import { isSecretHeader, REDACTED, redactUrl } from "../core/redact.ts";
import type { ClientExplanation } from "../mod.ts";
import type { Palette } from "./colour.ts";

const REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The reason phrase: the server's, or the standard one (HTTP/2 has none on the wire). */
export const reasonPhrase = (response: Response): string => response.statusText || REASONS[response.status] || "";

/** A header value as printed: secrets keep their scheme (`Basic`, `Bearer`) and lose the rest. */
export const shownValue = (name: string, value: string): string => {
  if (!isSecretHeader(name)) return value;
  const scheme = /^(Basic|Bearer|Digest|Negotiate|Token)\s/i.exec(value);
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
};

const headerLines = (headers: Headers, p: Palette): string =>
  [...headers].map(([name, value]) => `${p.name(name)}: ${shownValue(name, value)}`).join("\n");

/** `GET /path?q` and `host`, then the headers (the request line shows the redacted path and query). */
export const requestHead = (
  request: { readonly method: string; readonly url: URL; readonly headers: Headers },
  p: Palette,
): string => {
  const shown = new URL(redactUrl(request.url));
  const line = `${p.method(request.method)} ${p.url(`${shown.pathname}${shown.search}`)}`;
  const host = `${p.name("host")}: ${request.url.host}`;
  const rest = headerLines(request.headers, p);
  return rest === "" ? `${line}\n${host}` : `${line}\n${host}\n${rest}`;
};

/**
 * `HTTP/1.1 200 OK` and the headers, as HTTPie prints them; `HTTP 200 OK` when the version is not known
 * (fetch chose it by ALPN without saying: core/http_version.ts).
 */
export const responseHead = (response: Response, p: Palette): string => {
  const version = httpVersion(response) ?? "HTTP";
  const line = p.status(response.status)(`${version} ${response.status} ${reasonPhrase(response)}`.trimEnd());
  const rest = headerLines(response.headers, p);
  return rest === "" ? line : `${line}\n${rest}`;
};

/** Whether a content type is JSON (`application/json`, `*+json`). */
export const isJsonType = (type: string | null): boolean =>
  type !== null && /^application\/(?:[\w.+-]+\+)?json\b|^[\w.+-]+\/[\w.+-]+\+json\b/i.test(type);

/** Whether a content type is text that a terminal can show. */
export const isTextType = (type: string | null): boolean =>
  type === null || /^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|toml|csv/i.test(type);

const TOKEN = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** Colours JSON text token by token, keeping its layout. */
export const colourJson = (text: string, p: Palette): string =>
  p.enabled
    ? text.replace(
      TOKEN,
      (_, str, colon, num, lit) =>
        str !== undefined
          ? (colon ? `${p.key(str)}${colon}` : p.string(str))
          : num !== undefined
          ? p.number(num)
          : p.literal(lit),
    )
    : text;

/** A JSON body indented by 4 (HTTPie and httpx), or `undefined` when it does not parse. */
export const formatJson = (text: string): string | undefined => {
  try {
    return JSON.stringify(JSON.parse(text), null, 4);
  } catch {
    return undefined;
  }
};

/** The meta section (`m`): elapsed time and the route the request took. */
export const metaSection = (elapsedMs: number, why: ClientExplanation | undefined, p: Palette): string => {
  const lines = [`${p.name("elapsed")}: ${elapsedMs.toFixed(1)} ms`];
  if (why !== undefined) {
    lines.push(`${p.name("mount")}: ${why.key ?? "(none)"}${why.fallback ? " (default transport)" : ""}`);
    lines.push(`${p.name("transport")}: ${why.transportKind}`);
    if (why.plugins.length > 0) lines.push(`${p.name("plugins")}: ${why.plugins.join(" → ")}`);
  }
  return lines.join("\n");
};

/** `--explain`: which mount, plugins and transport would serve the URL, and why. */
export const explainSection = (
  why: ClientExplanation,
  describe: (key: string | undefined) => string,
  p: Palette,
): string => {
  const row = (name: string, value: string) => `${p.name(name.padEnd(10))}${value}`;
  return [
    row("url", why.url),
    row("mount", why.key === undefined ? "(no key matches)" : why.key),
    row("matches", why.matches.length === 0 ? "(none)" : why.matches.map((m) => m.key).join(", ")),
    row("target", describe(why.fallback ? undefined : why.key)),
    row("transport", why.transportKind),
    row("plugins", why.plugins.length === 0 ? "(none)" : why.plugins.join(" → ")),
    row("reason", why.reason),
  ].join("\n");
};
