/**
 * HTTP Digest (RFC 7616) without state: reading `WWW-Authenticate`
 * challenges (RFC 9110 §11.6.1 grammar: several challenges in one header,
 * quoted strings with escapes, token68) and computing the `Authorization`
 * for one request. The hashes come from `node:crypto`, loaded on first use:
 * Web Crypto has neither MD5 nor SHA-512/256 on Deno or Bun, and
 * `node:crypto` has all three, synchronously, on both.
 *
 * @module
 */
import { builtin } from "./builtin.ts";

/**
 * The hash algorithms of RFC 7616, each also usable as its `-sess` variant.
 *
 * @example
 * ```ts
 * import type { DigestAlgorithm } from "@switchyard/switchyard";
 * const strongest: DigestAlgorithm = "SHA-512-256";
 * ```
 */
export type DigestAlgorithm = "MD5" | "SHA-256" | "SHA-512-256";

/** One challenge: its scheme, its parameters (names lowercased), or its token68. */
export interface Challenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
  readonly token68?: string;
}

/** A Digest challenge this client can answer. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  readonly algorithm: DigestAlgorithm;
  readonly session: boolean;
  /** `"auth"`, or `undefined` for an RFC 2069 server that names no qop. */
  readonly qop: "auth" | undefined;
  readonly stale: boolean;
  readonly userhash: boolean;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/;

/** A cursor over a header value. */
class Reader {
  i = 0;
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.i >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.i];
  }
  spaces(): void {
    while (this.peek() === " " || this.peek() === "\t") this.i++;
  }
  token(): string {
    const start = this.i;
    while (!this.done && TCHAR.test(this.peek()!)) this.i++;
    return this.text.slice(start, this.i);
  }
  quoted(): string {
    let out = "";
    for (this.i++; !this.done && this.peek() !== '"'; this.i++) {
      if (this.peek() === "\\" && this.i + 1 < this.text.length) this.i++;
      out += this.peek();
    }
    this.i++;
    return out;
  }
  /** `name=value` pairs separated by commas; stops before a token that is not followed by `=` (the next challenge). */
  params(into: Map<string, string>): void {
    for (;;) {
      this.spaces();
      const save = this.i;
      const name = this.token();
      this.spaces();
      if (name === "" || this.peek() !== "=") {
        this.i = save;
        return;
      }
      this.i++;
      this.spaces();
      const value = this.peek() === '"' ? this.quoted() : this.token();
      const key = name.toLowerCase();
      if (!into.has(key)) into.set(key, value);
      this.spaces();
      if (this.peek() !== ",") return;
      while (this.peek() === "," || this.peek() === " " || this.peek() === "\t") this.i++;
    }
  }
}

/**
 * Every challenge in a `WWW-Authenticate` value (several headers arrive
 * joined by `, `, which this grammar reads as well).
 *
 * @example
 * ```ts
 * import { parseChallenges } from "./digest_challenge.ts";
 * const [digest, basic] = parseChallenges('Digest realm="a, b", nonce="n\\"1", Basic realm="x"');
 * console.assert(digest!.params.get("realm") === "a, b" && digest!.params.get("nonce") === 'n"1');
 * console.assert(basic!.scheme === "Basic");
 * ```
 */
export const parseChallenges = (header: string): Array<Challenge> => {
  const out: Array<Challenge> = [];
  const reader = new Reader(header);
  while (!reader.done) {
    while (reader.peek() === "," || reader.peek() === " " || reader.peek() === "\t") reader.i++;
    if (reader.done) break;
    const scheme = reader.token();
    if (scheme === "") {
      reader.i++; // not a token: skip it
      continue;
    }
    reader.spaces();
    const params = new Map<string, string>();
    const token68 = TOKEN68.exec(header.slice(reader.i))?.[0];
    if (token68 !== undefined) {
      reader.i += token68.length;
      out.push({ scheme, params, token68 });
    } else {
      reader.params(params);
      out.push({ scheme, params });
    }
  }
  return out;
};

/**
 * The parameters of a list like `Authentication-Info` (`nextnonce="…", qop=auth`).
 *
 * @example
 * ```ts
 * import { parseAuthParams } from "./digest_challenge.ts";
 * parseAuthParams('nextnonce="abc", qop=auth').get("nextnonce"); // "abc"
 * ```
 */
export const parseAuthParams = (header: string): ReadonlyMap<string, string> => {
  const params = new Map<string, string>();
  new Reader(header).params(params);
  return params;
};

const ALGORITHMS: Readonly<Record<string, DigestAlgorithm>> = {
  "md5": "MD5",
  "sha-256": "SHA-256",
  "sha-512-256": "SHA-512-256",
};
const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = {
  "MD5": "md5",
  "SHA-256": "sha256",
  "SHA-512-256": "sha512-256",
};

/**
 * The first Digest challenge in `header` that this client can answer with
 * one of `allowed` (the server lists them in its order of preference,
 * RFC 7616 §3.7): qop `auth` or none (`auth-int` alone is not answered).
 *
 * @example
 * ```ts
 * import { pickDigestChallenge } from "./digest_challenge.ts";
 * const header = 'Digest realm="r", nonce="n", qop="auth-int", Digest realm="r", nonce="m", qop="auth", algorithm=SHA-256';
 * pickDigestChallenge(header, ["MD5", "SHA-256"])?.nonce; // "m"
 * ```
 */
export const pickDigestChallenge = (
  header: string,
  allowed: ReadonlyArray<DigestAlgorithm>,
): DigestChallenge | undefined => {
  for (const { scheme, params } of parseChallenges(header)) {
    if (scheme.toLowerCase() !== "digest") continue;
    const realm = params.get("realm");
    const nonce = params.get("nonce");
    if (realm === undefined || nonce === undefined) continue;
    const named = (params.get("algorithm") ?? "MD5").toLowerCase();
    const session = named.endsWith("-sess");
    const algorithm = ALGORITHMS[session ? named.slice(0, -5) : named];
    if (algorithm === undefined || !allowed.includes(algorithm)) continue;
    const offered = params.get("qop");
    const qops = offered?.split(",").map((q) => q.trim().toLowerCase());
    if (qops !== undefined && !qops.includes("auth")) continue;
    // RFC 2069 (no qop) has no cnonce, which a -sess key needs.
    if (qops === undefined && session) continue;
    return {
      realm,
      nonce,
      opaque: params.get("opaque"),
      algorithm,
      session,
      qop: qops === undefined ? undefined : "auth",
      stale: params.get("stale")?.toLowerCase() === "true",
      userhash: params.get("userhash")?.toLowerCase() === "true",
    };
  }
  return undefined;
};

/** The hex digest of `text` (UTF-8) with `algorithm`. */
const hash = (algorithm: DigestAlgorithm, text: string): string =>
  builtin("node:crypto").createHash(NODE_HASH[algorithm]).update(text, "utf8").digest("hex");

const quote = (text: string): string => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** RFC 8187 `UTF-8''…` for a user name that is not printable ASCII. */
const extValue = (text: string): string =>
  `UTF-8''${encodeURIComponent(text).replace(/[*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;

/** What one Authorization is computed from, beyond the challenge. */
export interface DigestRequest {
  readonly user: string;
  readonly password: string;
  readonly method: string;
  /** The request-target: path and query. */
  readonly uri: string;
  /** The nonce count, 1 for the first request on this nonce. */
  readonly nc: number;
  readonly cnonce: string;
}

/**
 * The `Authorization` value answering `challenge` for one request
 * (RFC 7616 §3.4), `userhash` and a non-ASCII `username*` included.
 *
 * @example RFC 7616 §3.9.1, SHA-256
 * ```ts
 * import { digestAuthorization } from "./digest_challenge.ts";
 * const header = digestAuthorization({
 *   realm: "http-auth@example.org", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
 *   opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", algorithm: "SHA-256", session: false,
 *   qop: "auth", stale: false, userhash: false,
 * }, {
 *   user: "Mufasa", password: "Circle of Life", method: "GET", uri: "/dir/index.html", nc: 1,
 *   cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
 * });
 * console.assert(header.includes('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"'));
 * ```
 */
export const digestAuthorization = (challenge: DigestChallenge, request: DigestRequest): string => {
  const { algorithm, realm, nonce, qop } = challenge;
  const h = (text: string) => hash(algorithm, text);
  let ha1 = h(`${request.user}:${realm}:${request.password}`);
  if (challenge.session) ha1 = h(`${ha1}:${nonce}:${request.cnonce}`);
  const ha2 = h(`${request.method}:${request.uri}`);
  const nc = request.nc.toString(16).padStart(8, "0");
  const response = qop === undefined
    ? h(`${ha1}:${nonce}:${ha2}`)
    : h(`${ha1}:${nonce}:${nc}:${request.cnonce}:${qop}:${ha2}`);
  const user = challenge.userhash
    ? `username=${quote(h(`${request.user}:${realm}`))}`
    : /^[\x20-\x7e]*$/.test(request.user)
    ? `username=${quote(request.user)}`
    : `username*=${extValue(request.user)}`;
  const parts = [
    user,
    `realm=${quote(realm)}`,
    `uri=${quote(request.uri)}`,
    `algorithm=${algorithm}${challenge.session ? "-sess" : ""}`,
    `nonce=${quote(nonce)}`,
  ];
  if (qop !== undefined) parts.push(`nc=${nc}`, `cnonce=${quote(request.cnonce)}`, `qop=${qop}`);
  parts.push(`response=${quote(response)}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.userhash) parts.push("userhash=true");
  return `Digest ${parts.join(", ")}`;
};
