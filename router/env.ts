/**
 * Proxies from the environment, read as HTTPX reads them
 * (`httpx/_utils.py:get_environment_proxies` over CPython's `getproxies()`),
 * plus CIDR ranges and `host:port` in `NO_PROXY`.
 *
 * - `HTTP_PROXY` → `"http://"`, `HTTPS_PROXY` → `"https://"`, `ALL_PROXY` →
 *   `"all://"`. A value without `://` gets `http://` in front.
 * - The lowercase name wins over the uppercase one when both are set, as in
 *   HTTPX, curl and CPython; a lowercase name set to `""` turns the variable
 *   off. Mixed-case names (`Http_Proxy`) are not read.
 * - CGI guard (CVE-2016-1000110): when `REQUEST_METHOD` is set, uppercase
 *   `HTTP_PROXY` is ignored, because a client's `Proxy:` header lands there.
 *   Lowercase `http_proxy` is still honoured (a header cannot set it), as in CPython.
 * - `NO_PROXY` (comma-separated, spaces trimmed) becomes mounts to `null`
 *   ("the client's default transport"):
 *
 * | entry                 | mount key(s)                              |
 * |-----------------------|-------------------------------------------|
 * | `*` (anywhere)        | no env proxies at all: `{}`               |
 * | `example.com`         | `all://*example.com` (domain + subdomains)|
 * | `.example.com`, `*.example.com` | `all://*.example.com` (subdomains only) |
 * | `localhost`           | `all://localhost`                         |
 * | `127.0.0.1`, `::1`    | `all://127.0.0.1`, `all://[::1]`          |
 * | `http://example.com`  | used as a key as written                  |
 * | `10.0.0.0/8`, `fe80::/10` | `all://10.0.0.0/8`, `all://[fe80::]/10` (CIDR; HTTPX ignores the range) |
 * | `example.com:8080`    | `all://*example.com:8080` (HTTPX has no `host:port`) |
 * | `example.com:443`     | `all://*example.com:443` and `https://*example.com` (a default port is never written in a URL) |
 *
 * Unlike CPython on Windows and macOS, system proxy settings are not read.
 * On Deno, reading the environment needs `--allow-env` (or
 * `--allow-env=HTTP_PROXY,HTTPS_PROXY,...`); without it the variables read as
 * unset and no prompt is shown.
 *
 * @module
 */
import { InvalidOptions } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { readEnv } from "../core/runtime.ts";
import { isIpLiteral } from "./ip.ts";
import { UrlPattern } from "./pattern.ts";

/** The variables read when no `env` is passed. */
const NAMES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"];
const PROXY_SCHEMES = new Set(["http:", "https:", "socks5:", "socks5h:"]);
const NO_PROXY_FORMS = "a host, .domain, IP address, CIDR range (10.0.0.0/8), host:port, scheme://host or *";

/** An own variable of `env`: a string or unset (a getter inherited from a prototype is not a variable). */
const variable = (env: Readonly<Record<string, unknown>>, name: string): string | undefined => {
  if (!Object.hasOwn(env, name)) return undefined;
  const value = env[name];
  if (value === undefined || typeof value === "string") return value;
  throw new InvalidOptions({
    option: name,
    received: value === null ? "null" : typeof value,
    expected: "a string (environment variables are text), or no such variable",
  });
};

/** The variable CPython would use for `prefix`: lowercase first, `""` turning it off; undefined when unset. */
const lookup = (
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  cgi: boolean,
): { readonly name: string; readonly value: string } | undefined => {
  const lower = `${prefix}_proxy`;
  const lowerValue = variable(env, lower);
  if (lowerValue !== undefined) return lowerValue === "" ? undefined : { name: lower, value: lowerValue };
  const upper = lower.toUpperCase();
  const upperValue = variable(env, upper);
  if (!upperValue || (cgi && upper === "HTTP_PROXY")) return undefined;
  return { name: upper, value: upperValue };
};

const proxyUrl = (name: string, value: string): string => {
  const url = value.includes("://") ? value : `http://${value}`;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (parsed === undefined || parsed.hostname === "" || !PROXY_SCHEMES.has(parsed.protocol)) {
    throw new InvalidOptions({
      option: name,
      received: JSON.stringify(redactUrl(url)),
      expected: "an http://, https://, socks5:// or socks5h:// proxy URL with a host, e.g. http://proxy.internal:3128",
    });
  }
  return url;
};

/** Splits `host`, `host:port`, `[v6]:port`, `v6`, `ip/bits` and `[v6]/bits`. */
const splitEntry = (entry: string): { host: string; port: string; bits: string } | undefined => {
  let host = entry;
  let port = "";
  let bits = "";
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close < 0) return undefined;
    const after = host.slice(close + 1);
    host = host.slice(1, close);
    if (after.startsWith(":")) port = after.slice(1);
    else if (after.startsWith("/")) bits = after.slice(1);
    else if (after !== "") return undefined;
    return { host, port, bits };
  }
  const slash = host.indexOf("/");
  if (slash >= 0) [host, bits] = [host.slice(0, slash), host.slice(slash + 1)];
  const colon = host.indexOf(":");
  // One colon is host:port; more is an IPv6 address.
  if (colon >= 0 && colon === host.lastIndexOf(":")) [host, port] = [host.slice(0, colon), host.slice(colon + 1)];
  return { host, port, bits };
};

/** The mount keys for one NO_PROXY entry; throws InvalidOptions naming the variable. */
const noProxyKeys = (name: string, entry: string): string[] => {
  const fail = (): never => {
    throw new InvalidOptions({ option: name, received: JSON.stringify(redactUrl(entry)), expected: NO_PROXY_FORMS });
  };
  const check = (key: string): string => UrlPattern.validate(key) === undefined ? key : fail();
  if (entry.includes("://")) return [check(entry)];
  const parts = splitEntry(entry) ?? fail();
  const isIp = isIpLiteral(parts.host) || parts.host.includes(":");
  if (parts.bits !== "" && (!isIp || !/^\d+$/.test(parts.bits))) fail();
  let host: string;
  if (isIp) host = parts.host.includes(":") ? `[${parts.host}]` : parts.host;
  else if (parts.host.toLowerCase() === "localhost") host = parts.host;
  else {
    // `*.example.com` means `.example.com` (newer HTTPX does the same); `.d` then gives `*.d`, `d` gives `*d`.
    const domain = parts.host.replace(/^\*+/, "");
    host = domain === "" ? fail() : `*${domain}`;
  }
  const keys = [`all://${host}${parts.port ? `:${parts.port}` : ""}${parts.bits ? `/${parts.bits}` : ""}`];
  // A URL never spells its default port, so `host:443` must also cover `https://host`.
  if (parts.port === "80") keys.push(`http://${host}`);
  if (parts.port === "443") keys.push(`https://${host}`);
  return keys.map(check);
};

/**
 * The proxy mounts the environment asks for, as HTTPX computes them: a plain
 * object from mount key to proxy URL, or to `null` for "no proxy" (the
 * client's default transport). Keys come in HTTPX's order: `http://`,
 * `https://`, `all://`, then the `NO_PROXY` entries. `env` defaults to the
 * process environment (read with `readEnv`: never prompts on Deno).
 *
 * @throws {InvalidOptions} when `env` is not an object, or naming the variable
 * for a value that is not a string, a proxy URL that does not
 * parse or whose scheme is not http, https, socks5 or socks5h, or for a
 * malformed `NO_PROXY` entry. Credentials are redacted in the message.
 *
 * @example
 * ```ts
 * import { environmentProxies } from "@switchyard/switchyard";
 * import { Router } from "@switchyard/switchyard/router";
 * const proxies = environmentProxies({
 *   HTTPS_PROXY: "proxy.internal:3128",
 *   NO_PROXY: "localhost,.svc.cluster.local,10.0.0.0/8",
 * });
 * // { "https://": "http://proxy.internal:3128", "all://localhost": null,
 * //   "all://*.svc.cluster.local": null, "all://10.0.0.0/8": null }
 * Router.make(proxies).resolve(new URL("https://10.1.2.3/"))?.value; // null: go direct
 * ```
 */
export const environmentProxies = (
  env?: Readonly<Record<string, string | undefined>>,
): Record<string, string | null> => {
  if (env !== undefined && (typeof env !== "object" || env === null || Array.isArray(env))) {
    throw new InvalidOptions({
      option: "env",
      received: env === null ? "null" : Array.isArray(env) ? "an array" : typeof env,
      expected: "an object of variable name to string, or nothing to read the process environment",
    });
  }
  const source: Readonly<Record<string, string | undefined>> = env ?? Object.fromEntries(
    [...NAMES, ...NAMES.map((n) => n.toUpperCase()), "REQUEST_METHOD"].map((n) => [n, readEnv(n)]),
  );
  const noProxy = lookup(source, "no", false);
  const entries = noProxy ? noProxy.value.split(",").map((e) => e.trim()).filter((e) => e !== "") : [];
  // `*` anywhere turns env proxies off, before a bad proxy value could fail construction.
  if (entries.includes("*")) return {};
  const mounts: Record<string, string | null> = {}; // every key has "://": none is special
  const cgi = Object.hasOwn(source, "REQUEST_METHOD") && source.REQUEST_METHOD !== undefined;
  for (const scheme of ["http", "https", "all"]) {
    const found = lookup(source, scheme, cgi);
    if (found) mounts[`${scheme}://`] = proxyUrl(found.name, found.value);
  }
  for (const entry of entries) {
    for (const key of noProxyKeys(noProxy!.name, entry)) mounts[key] = null;
  }
  return mounts;
};
