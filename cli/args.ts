/**
 * The command line, parsed with `node:util`'s `parseArgs` (the platform's
 * parser, the same on Deno and Bun; effect/cli needs platform layers Deno
 * lacks), then checked into typed `CliArgs`. A bad argument is an
 * `InvalidOptions` naming the flag.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { InvalidOptions } from "../mod.ts";

/** How the request items become a body. */
export type BodyMode = "json" | "form" | "multipart";
/** HTTPie's `--pretty`. */
export type Pretty = "all" | "colors" | "format" | "none";
/** `-A, --auth-type`. */
export type AuthType = "basic" | "bearer" | "digest";

/** Everything the command line says, checked. */
export interface CliArgs {
  /** The method given on the command line, if any (else GET, or POST when there is a body). */
  readonly method: string | undefined;
  /** The URL as typed (normalised later: `:3000/x`, no scheme, a path with `--app`). */
  readonly url: string;
  /** HTTPie request items (`Header:Value`, `name==value`, `field=value`, `field:=json`, `field@file`). */
  readonly items: ReadonlyArray<string>;
  readonly bodyMode: BodyMode;
  /** `--json` was given: JSON `Accept` even without a body. */
  readonly json: boolean;
  /** `--raw TEXT`, `--raw @file`, `--raw @-` (stdin). */
  readonly raw: string | undefined;
  /** `-H 'Name: Value'`, repeatable. */
  readonly headers: ReadonlyArray<string>;
  readonly auth: string | undefined;
  readonly authType: AuthType;
  readonly proxy: string | undefined;
  readonly uds: string | undefined;
  readonly localAddress: string | undefined;
  readonly http2: boolean;
  readonly http2Only: boolean;
  /** Milliseconds (the flag takes seconds, as httpx and HTTPie). */
  readonly timeoutMs: number | undefined;
  readonly retries: number | undefined;
  readonly follow: boolean;
  readonly maxRedirects: number;
  readonly insecure: boolean;
  readonly download: string | undefined;
  /** `--print` as given, or the shortcut's letters; `undefined`: the default for the output. */
  readonly print: string | undefined;
  /** 0, 1 (`-v`) or 2 (`-vv`). */
  readonly verbose: number;
  readonly quiet: boolean;
  readonly pretty: Pretty | undefined;
  readonly offline: boolean;
  readonly checkStatus: boolean;
  readonly app: string | undefined;
  /** `KEY=TARGET`, repeatable. */
  readonly mounts: ReadonlyArray<string>;
  readonly explain: boolean;
  readonly har: string | undefined;
  readonly help: boolean;
  readonly version: boolean;
}

const OPTIONS = {
  json: { type: "boolean", short: "j" },
  form: { type: "boolean", short: "f" },
  multipart: { type: "boolean" },
  raw: { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  auth: { type: "string", short: "a" },
  "auth-type": { type: "string", short: "A" },
  proxy: { type: "string" },
  uds: { type: "string" },
  "unix-socket": { type: "string" },
  "local-address": { type: "string" },
  http2: { type: "boolean" },
  "http2-only": { type: "boolean" },
  timeout: { type: "string" },
  retries: { type: "string" },
  follow: { type: "boolean", short: "F" },
  "max-redirects": { type: "string" },
  insecure: { type: "boolean", short: "k" },
  "no-verify": { type: "boolean" },
  download: { type: "string", short: "d" },
  print: { type: "string", short: "p" },
  headers: { type: "boolean", short: "h" },
  body: { type: "boolean", short: "b" },
  meta: { type: "boolean", short: "m" },
  verbose: { type: "boolean", short: "v", multiple: true },
  quiet: { type: "boolean", short: "q" },
  pretty: { type: "string" },
  offline: { type: "boolean" },
  "check-status": { type: "boolean" },
  app: { type: "string" },
  mount: { type: "string", multiple: true },
  explain: { type: "boolean" },
  har: { type: "string" },
  help: { type: "boolean" },
  version: { type: "boolean" },
} as const;

const refuse = (option: string, received: string, expected: string): never => {
  throw new InvalidOptions({ option, received, expected });
};

/** Methods recognised in first position whatever their case. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"]);

/**
 * Whether the first positional is the method: a standard method in any case
 * (`get`, `POST`), or an all-capitals token followed by a URL (`PURGE url`).
 * `localhost` alone is a URL.
 */
const isMethod = (word: string, more: boolean): boolean =>
  METHODS.has(word.toUpperCase()) || (more && /^[A-Z]+$/.test(word));

const PRINT = /^[HBhbm]*$/;

const seconds = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
    refuse(flag, JSON.stringify(text), "a positive number of seconds, e.g. 2.5");
  }
  return Math.round(n * 1000);
};

const whole = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) refuse(flag, JSON.stringify(text), "a whole number, 0 or more");
  return n;
};

const oneOf = <T extends string>(flag: string, text: string | undefined, allowed: ReadonlyArray<T>): T | undefined => {
  if (text === undefined) return undefined;
  if (!(allowed as ReadonlyArray<string>).includes(text)) refuse(flag, JSON.stringify(text), allowed.join(", "));
  return text as T;
};

/** What a `parseArgs` failure says, as the typed error. */
const fromParseError = (error: unknown): InvalidOptions => {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    return new InvalidOptions({
      option: unknown[1]!,
      received: "an unknown option",
      expected: "one of the options listed by --help (a value starting with '-' goes after '--')",
    });
  }
  const missing = /Option '([^']+)' argument missing/.exec(message);
  if (missing) {
    return new InvalidOptions({
      option: missing[1]!.split(",").pop()!.trim().split(" ")[0]!,
      received: "no value",
      expected: "a value after the flag",
    });
  }
  return new InvalidOptions({ option: "(arguments)", received: message, expected: "arguments as listed by --help" });
};

/** Parses `argv` (without the runtime and script). Throws `InvalidOptions`. */
export const parseCliArgs = (argv: ReadonlyArray<string>): CliArgs => {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw fromParseError(error);
  }
  const v = parsed.values;
  const positionals = parsed.positionals;
  const help = v.help === true;
  const version = v.version === true;
  const explicitMethod = positionals.length > 0 && isMethod(positionals[0]!, positionals.length > 1);
  const method = explicitMethod ? positionals[0]!.toUpperCase() : undefined;
  const rest = explicitMethod ? positionals.slice(1) : positionals;
  if (rest.length === 0 && !help && !version) {
    refuse("URL", "nothing", "a URL after the method, e.g. `switchyard example.org` (see --help)");
  }
  if ((v.form || v.multipart) && v.json) refuse("--json", "--json with --form or --multipart", "one body mode");
  const print = v.print ??
    ([v.headers ? "h" : "", v.body ? "b" : "", v.meta ? "m" : ""].join("") || undefined);
  if (print !== undefined && !PRINT.test(print)) {
    refuse("--print", JSON.stringify(print), "letters from HBhbm (H request headers, B request body, h, b, m)");
  }
  if (v.uds !== undefined && v["unix-socket"] !== undefined) refuse("--unix-socket", "both", "--uds or --unix-socket");
  return {
    method,
    url: rest[0] ?? "",
    items: rest.slice(1),
    bodyMode: v.multipart ? "multipart" : v.form ? "form" : "json",
    json: v.json === true,
    raw: v.raw,
    headers: v.header ?? [],
    auth: v.auth,
    authType: oneOf("--auth-type", v["auth-type"], ["basic", "bearer", "digest"] as const) ?? "basic",
    proxy: v.proxy,
    uds: v.uds ?? v["unix-socket"],
    localAddress: v["local-address"],
    http2: v.http2 === true || v["http2-only"] === true,
    http2Only: v["http2-only"] === true,
    timeoutMs: seconds("--timeout", v.timeout),
    retries: whole("--retries", v.retries),
    follow: v.follow === true,
    maxRedirects: whole("--max-redirects", v["max-redirects"]) ?? 30,
    insecure: v.insecure === true || v["no-verify"] === true,
    download: v.download,
    print: v.quiet ? "" : print,
    verbose: v.verbose?.length ?? 0,
    quiet: v.quiet === true,
    pretty: oneOf("--pretty", v.pretty, ["all", "colors", "format", "none"] as const),
    offline: v.offline === true,
    checkStatus: v["check-status"] === true,
    app: v.app,
    mounts: v.mount ?? [],
    explain: v.explain === true,
    har: v.har,
    help,
    version,
  };
};
