/**
 * `switchyard --help`.
 *
 * @module
 */
import { EXIT_CODE_TABLE } from "./exit_codes.ts";
import { VERSION } from "./version.ts";

const OPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["-j, --json", "items make a JSON body (the default); Accept: application/json"],
  ["-f, --form", "items make a form body (multipart when a field@file is present)"],
  ["--multipart", "items make a multipart/form-data body"],
  ["--raw TEXT|@FILE|@-", "send TEXT, a file or stdin as the body (stdin is never read otherwise)"],
  ["-H, --header 'N: V'", "add a header (repeatable); 'N:' removes a default one"],
  ["-a, --auth USER[:PASS]", "credentials (bearer: the token); a bare USER is asked for the password"],
  ["-A, --auth-type TYPE", "basic (default), bearer; digest is refused until the digest() plugin ships"],
  ["--proxy URL", "send through this proxy (http, https, socks5 on Deno); else the environment's"],
  ["--uds PATH", "connect to a unix socket (alias --unix-socket)"],
  ["--local-address IP", "connect from this local address"],
  ["--http2 / --http2-only", "allow HTTP/2 / require it (h2c on cleartext)"],
  ["--timeout SECONDS", "per phase: connect, read, write (default: none)"],
  ["--retries N", "retry connect failures N times (never-sent requests only)"],
  ["-F, --follow", "follow redirects (off by default, as httpx and HTTPie)"],
  ["--max-redirects N", "at most N redirects with --follow (default 30)"],
  ["-k, --insecure", "skip TLS verification (Bun; Deno: see docs) (alias --no-verify)"],
  ["-d, --download FILE", "save the body to FILE, with a progress bar on a terminal"],
  ["-p, --print WHAT", "H request headers, B request body, h response headers, b body, m meta"],
  ["-h / -b / -m", "shortcuts for --print h / b / m"],
  ["-v, --verbose", "the whole exchange (HBhb); -vv adds meta (m); credentials redacted"],
  ["-q, --quiet", "print nothing but errors"],
  ["--pretty WHAT", "all, colors, format, none (default: all on a terminal, none when piped)"],
  ["--offline", "print the request (HB) and send nothing"],
  ["--check-status", "exit 3/4/5 for a 3xx/4xx/5xx response"],
  ["--app FILE", "send to FILE's default export (a fetch handler or { fetch }) in-process"],
  ["--mount KEY=TARGET", "route KEY (HTTPX mount syntax) to uds:PATH, http://PROXY, app:FILE, direct, default"],
  ["--explain", "print which mount, plugins and transport would serve the URL, and why; send nothing"],
  ["--har FILE", "record every exchange (each redirect too) to a HAR 1.2 file, secrets redacted"],
  ["--help / --version", "this text / the version"],
];

const ITEMS: ReadonlyArray<readonly [string, string]> = [
  ["Name:Value", "a header; Name: removes it, Name; sends it empty"],
  ["name==value", "a query parameter (appended)"],
  ["field=value", "a string field (JSON or form)"],
  ["field:=json", "a raw JSON field: n:=1, ok:=true, tags:='[\"a\"]'"],
  ["field@file", "a file upload (--form / --multipart); field@file;type=image/png"],
  ["x:@f x==@f x=@f x:=@f", "the same, with the value read from a file"],
  ["a[b]=1 a[]=x a[0]:=1", "nested JSON keys"],
];

const table = (rows: ReadonlyArray<readonly [string | number, string]>, width: number) =>
  rows.map(([a, b]) => `  ${String(a).padEnd(width)}  ${b}`).join("\n");

/** The help text. */
export const helpText = (): string =>
  `switchyard ${VERSION}: HTTP for the terminal, with mounts, in-process apps and HAR

Usage: switchyard [METHOD] URL [ITEMS...] [OPTIONS]

  METHOD defaults to GET, or POST when there is a body. URL: example.org (http:// is added),
  :3000/path (localhost), or /path with --app.

Request items:
${table(ITEMS, 22)}

Options:
${table(OPTIONS, 22)}

Exit codes:
${table(EXIT_CODE_TABLE, 4)}
`;
