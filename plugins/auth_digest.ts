/**
 * `digest(user, password)`: HTTP Digest (RFC 7616) with its state. The last
 * challenge of each origin is kept, so later requests to it authenticate
 * up front with the next nonce count (as HTTPX's `DigestAuth` does) instead
 * of paying a 401 each; `Authentication-Info: nextnonce` moves it to a new
 * nonce; `stale=true` (an expired nonce, not a wrong password) is answered
 * once more.
 *
 * @module
 */
import { Effect } from "effect";
import { InvalidOptions } from "../core/errors.ts";
import { type AuthScheme, checkCredential, defineScheme } from "./auth_scheme.ts";
import type { DigestAlgorithm, DigestChallenge } from "./digest_challenge.ts";

export type { DigestAlgorithm } from "./digest_challenge.ts";

/**
 * Options of `digest`.
 *
 * @example
 * ```ts
 * import type { DigestOptions } from "@switchyard/switchyard";
 * const noMd5: DigestOptions = { algorithms: ["SHA-512-256", "SHA-256"] };
 * ```
 */
export interface DigestOptions {
  /**
   * The algorithms this client answers (each with its `-sess` variant);
   * default all of RFC 7616's: MD5, SHA-256, SHA-512-256. The server's
   * order of preference picks among them.
   */
  readonly algorithms?: ReadonlyArray<DigestAlgorithm>;
}

const ALL: ReadonlyArray<DigestAlgorithm> = ["MD5", "SHA-256", "SHA-512-256"];
/** Origins whose challenge is kept; the least recently used is forgotten beyond this. */
const MAX_ORIGINS = 256;

/** One origin's protection space: its challenge, the nonce count so far, the client nonce for that nonce. */
interface Space {
  challenge: DigestChallenge;
  nc: number;
  cnonce: string;
}

const randomHex = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
};

const checkAlgorithms = (algorithms: unknown): ReadonlyArray<DigestAlgorithm> => {
  if (algorithms === undefined) return ALL;
  if (
    !Array.isArray(algorithms) || algorithms.length === 0 ||
    !algorithms.every((a) => ALL.includes(a as DigestAlgorithm))
  ) {
    throw new InvalidOptions({
      option: "digest(options).algorithms",
      received: Array.isArray(algorithms) ? JSON.stringify(algorithms) : typeof algorithms,
      expected: `a non-empty list of ${ALL.join(", ")}`,
    });
  }
  return algorithms as ReadonlyArray<DigestAlgorithm>;
};

/** The challenge parser and the hashes, loaded with the first 401 that asks for digest (plugins/lazy.ts's reason). */
let challenges: typeof import("./digest_challenge.ts") | undefined;
const loadChallenges = (): Promise<unknown> => import("./digest_challenge.ts").then((m) => (challenges = m));

/**
 * HTTP Digest credentials (RFC 7616): MD5, SHA-256 and SHA-512-256, each
 * with its `-sess` variant; qop `auth` (and RFC 2069 servers that name no
 * qop); `userhash`; a non-ASCII user name sent as `username*`. The first
 * request to an origin goes without credentials and answers the 401's
 * challenge; later ones authenticate up front with the nonce count kept
 * across requests. `auth-int` alone is not answered (the 401 is returned),
 * as in HTTPX.
 *
 * @example Against an app that asks for Digest
 * ```ts
 * import { auth, Client, digest, HandlerTransport } from "@switchyard/switchyard";
 * await using client = Client.make({
 *   transport: HandlerTransport.make((request) =>
 *     request.headers.get("authorization")?.startsWith("Digest username=\"ada\"")
 *       ? new Response("in")
 *       : new Response(null, {
 *         status: 401,
 *         headers: { "www-authenticate": 'Digest realm="app", nonce="abc", qop="auth", algorithm=SHA-256' },
 *       })
 *   ),
 *   plugins: [auth({ "all://": digest("ada", "s3cret") })],
 * });
 * console.assert((await (await client.fetch("http://app.test/")).text()) === "in");
 * ```
 */
export const digest = (user: string, password: string, options: DigestOptions = {}): AuthScheme => {
  checkCredential(user, "digest(user)");
  checkCredential(password, "digest(password)");
  const allowed = checkAlgorithms((options as { algorithms?: unknown }).algorithms);
  const spaces = new Map<string, Space>();

  const remember = (origin: string, space: Space): void => {
    spaces.delete(origin);
    spaces.set(origin, space);
    if (spaces.size > MAX_ORIGINS) spaces.delete(spaces.keys().next().value!);
  };
  const authorize = (space: Space, url: URL, method: string): string =>
    challenges!.digestAuthorization(space.challenge, {
      user,
      password,
      method,
      uri: url.pathname + url.search,
      nc: ++space.nc,
      cnonce: space.cnonce,
    });

  /** A 401's challenge answered: the Authorization of one more attempt, or `null`. */
  const respond = (request: Request, response: Response, attempt: number): string | null => {
    const challenge = challenges!.pickDigestChallenge(response.headers.get("www-authenticate") ?? "", allowed);
    if (challenge === undefined) return null;
    // A second 401 that is not about an expired nonce refuses these credentials.
    if (attempt === 2 && !challenge.stale) return null;
    const url = new URL(request.url);
    const space: Space = { challenge, nc: 0, cnonce: randomHex() };
    remember(url.origin, space);
    return authorize(space, url, request.method);
  };

  return defineScheme("digest", {
    first: (request) => {
      if (spaces.size === 0) return undefined;
      const url = new URL(request.url);
      const space = spaces.get(url.origin);
      return space === undefined ? undefined : authorize(space, url, request.method);
    },
    retry: (request, response, _sent, attempt) => {
      if (attempt > 2) return null;
      if (challenges === undefined) {
        return Effect.promise(loadChallenges).pipe(Effect.map(() => respond(request, response, attempt)));
      }
      return respond(request, response, attempt);
    },
    answered: (request, response) => {
      const info = response.headers.get("authentication-info");
      // Only an answer after a challenge concerns a space (and the parser is loaded by then).
      if (info === null || challenges === undefined) return;
      const next = challenges.parseAuthParams(info).get("nextnonce");
      const space = next === undefined ? undefined : spaces.get(new URL(request.url).origin);
      if (space !== undefined && next !== undefined) {
        space.challenge = { ...space.challenge, nonce: next };
        space.nc = 0;
        space.cnonce = randomHex();
      }
    },
  });
};
