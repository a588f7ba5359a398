/**
 * `netrc()`: Basic credentials from a netrc file, as HTTPX's `NetRCAuth`
 * (explicit since HTTPX 0.24: nothing reads `~/.netrc` unless asked). The
 * file is read once, when `netrc()` is called, so a missing or malformed file
 * is an `InvalidOptions` at construction, never a surprise at the first
 * request; its passwords never appear in an error.
 *
 * @module
 */
import { InvalidOptions } from "../core/errors.ts";
import { type AuthScheme, basicHeader, defineScheme } from "./auth_scheme.ts";
import { builtin } from "./builtin.ts";

/**
 * Options of `netrc`.
 *
 * @example
 * ```ts
 * import type { NetrcOptions } from "@switchyard/switchyard";
 * const options: NetrcOptions = { file: "/etc/app/netrc" };
 * ```
 */
export interface NetrcOptions {
  /** The file to read; default `~/.netrc` (the home directory from `node:os`). */
  readonly file?: string;
}

/** One machine's entry. */
interface Entry {
  login?: string;
  password?: string;
}

/**
 * Reads netrc text: `machine NAME login USER password PASS` (and `account`),
 * `default ...`, `macdef NAME` bodies skipped up to a blank line, `#`
 * comments, double-quoted values with `\` escapes. The first entry for a
 * machine wins (curl's rule). Returns each machine's Basic header; an entry
 * without a password gives none (HTTPX's rule).
 *
 * @example
 * ```ts
 * import { parseNetrc } from "./netrc.ts";
 * const { machines } = parseNetrc("machine api.test login ada password \"s3 cret\"\n", "netrc");
 * machines.get("api.test"); // "Basic YWRhOnMzIGNyZXQ="
 * ```
 */
export const parseNetrc = (
  text: string,
  file: string,
): { machines: ReadonlyMap<string, string>; fallback: string | undefined } => {
  const tokens: Array<{ value: string; line: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    for (const match of lines[n]!.matchAll(/"((?:\\.|[^"\\])*)"|#.*$|(\S+)/g)) {
      if (match[1] === undefined && match[2] === undefined) break; // a comment
      tokens.push({ value: match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2]!, line: n + 1 });
    }
  }
  const machines = new Map<string, string>();
  let fallback: string | undefined;
  let entry: Entry | undefined;
  let name: string | undefined;
  const finish = () => {
    if (entry?.login !== undefined && entry.password !== undefined) {
      const header = basicHeader(entry.login, entry.password);
      if (name === undefined) fallback ??= header;
      else if (!machines.has(name)) machines.set(name, header);
    }
    entry = undefined;
  };
  for (let i = 0; i < tokens.length; i++) {
    const { value, line } = tokens[i]!;
    const argument = () => {
      const next = tokens[++i];
      if (next === undefined) {
        throw new InvalidOptions({
          option: "netrc(options).file",
          received: `${JSON.stringify(file)}, whose line ${line} has "${value}" without a value`,
          expected: "a netrc file: machine NAME login USER password PASSWORD",
        });
      }
      return next.value;
    };
    if (value === "macdef") {
      // A macro: its body runs from the next line to the first blank one; none of it is credentials.
      finish();
      let blank = line;
      while (blank < lines.length && lines[blank]!.trim() !== "") blank++;
      while (i + 1 < tokens.length && tokens[i + 1]!.line <= blank) i++;
    } else if (value === "machine") {
      finish();
      name = argument().toLowerCase();
      entry = {};
    } else if (value === "default") {
      finish();
      name = undefined;
      entry = {};
    } else if (value === "login" || value === "password" || value === "account") {
      const v = argument();
      if (entry === undefined) continue; // outside any entry: ignored, as Python's netrc does
      if (value === "login") entry.login = v;
      else if (value === "password") entry.password = v;
    } else {
      throw new InvalidOptions({
        option: "netrc(options).file",
        received: `${JSON.stringify(file)}, whose line ${line} has an unknown word (not shown: it may be a secret)`,
        expected: "netrc keywords: machine, default, login, password, account, macdef",
      });
    }
  }
  finish();
  return { machines, fallback };
};

const readFile = (file: string): string => {
  try {
    return builtin("node:fs").readFileSync(file, "utf8");
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? (cause instanceof Error ? cause.name : "error");
    throw new InvalidOptions({
      option: "netrc(options).file",
      received: `${JSON.stringify(file)} (${code})`,
      expected: "a readable netrc file (on Deno, with --allow-read for it)",
    });
  }
};

/**
 * Basic credentials from a netrc file, looked up by the request's host
 * (without its port, as HTTPX and curl do), falling back to its `default`
 * entry. The file is read when `netrc()` is called, and only then: pass it
 * to `auth` explicitly for the URLs it may serve, e.g.
 * `auth({ "https://": netrc() })` to never send its passwords in clear text.
 * A host with no entry gets no Authorization.
 *
 * @example From a file (the example writes one first)
 * ```ts
 * import { auth, Client, HandlerTransport, netrc } from "@switchyard/switchyard";
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "machine api.test login ada password s3cret\n");
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) => new Response(request.headers.get("authorization"))),
 *   plugins: [auth({ "https://": netrc({ file }) })],
 * });
 * console.assert((await (await client.fetch("https://api.test:8443/")).text()) === "Basic YWRhOnMzY3JldA==");
 * console.assert((await (await client.fetch("https://other.test/")).text()) === "");
 * await Deno.remove(file);
 * ```
 */
export const netrc = (options: NetrcOptions = {}): AuthScheme => {
  const file = options.file ?? `${builtin("node:os").homedir()}/.netrc`;
  if (typeof file !== "string" || file === "") {
    throw new InvalidOptions({ option: "netrc(options).file", received: typeof file, expected: "a file path" });
  }
  const { machines, fallback } = parseNetrc(readFile(file), file);
  return defineScheme("netrc", {
    first: (request) => {
      const host = new URL(request.url).hostname.replace(/^\[(.*)\]$/, "$1");
      return machines.get(host) ?? fallback;
    },
  });
};
