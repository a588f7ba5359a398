/**
 * Following redirects in the client (as HTTPX does), so every hop goes back
 * through the plugins and the mounts, and so the rules are the same for every
 * transport: the network one is always called with `redirect: "manual"`.
 *
 * @module
 */
import { Effect } from "effect";
import { type ClientError, TooManyRedirects } from "../core/errors.ts";
import { markResend } from "../plugins/resend.ts";

/** Headers that carry credentials: never forwarded to another origin. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];
/** Headers that describe a body: dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

/**
 * Whether `status` is a redirect that carries a `Location` to follow.
 *
 * @example
 * ```ts
 * import { isRedirect } from "./redirects.ts";
 * isRedirect(new Response(null, { status: 302, headers: { location: "/x" } })); // true
 * ```
 */
export const isRedirect = (response: Response): boolean => {
  const status = response.status;
  return (status === 301 || status === 302 || status === 303 || status === 307 || status === 308) &&
    response.headers.has("location");
};

/** HTTPX's `_is_https_redirect`: http→https on the same host, default ports, keeps credentials. */
const isHttpsUpgrade = (from: URL, to: URL): boolean =>
  from.hostname === to.hostname && from.protocol === "http:" && to.protocol === "https:" &&
  from.port === "" && to.port === "";

/**
 * The next request of a redirect chain, or `undefined` when the redirect
 * cannot be followed without losing data (a 307/308 whose body was a stream
 * that has already been sent): then the redirect response is returned as is.
 */
export const nextRequest = (
  request: Request,
  response: Response,
  replayBody: BodyInit | null | undefined,
): Request | undefined => {
  const from = new URL(request.url);
  const to = new URL(response.headers.get("location")!, from);
  const status = response.status;
  // 303 always, and 301/302 for POST, become GET without a body (fetch and HTTPX agree).
  const toGet = (status === 303 && request.method !== "HEAD") ||
    ((status === 301 || status === 302) && request.method === "POST");
  const headers = new Headers(request.headers);
  if (from.origin !== to.origin && !isHttpsUpgrade(from, to)) {
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  }
  headers.delete("host");
  if (toGet) {
    for (const name of BODY_HEADERS) headers.delete(name);
    return new Request(to, { method: "GET", headers, signal: request.signal, redirect: request.redirect });
  }
  let body: BodyInit | null = null;
  if (request.body !== null) {
    if (replayBody === undefined || replayBody instanceof ReadableStream) return undefined;
    body = replayBody;
  }
  return new Request(to, { method: request.method, headers, body, signal: request.signal, redirect: request.redirect });
};

/**
 * Wraps one hop (`send`) so that redirects are followed up to `maxRedirects`.
 * Each redirect response's body is cancelled before the next hop.
 */
export const followRedirects = (
  send: (request: Request) => Effect.Effect<Response, ClientError>,
  request: Request,
  first: Response,
  maxRedirects: number,
  replayBody: BodyInit | null | undefined,
): Effect.Effect<Response, ClientError> => {
  const loop = (current: Request, response: Response, hops: number): Effect.Effect<Response, ClientError> => {
    if (!isRedirect(response) || current.redirect === "manual") return Effect.succeed(response);
    if (current.redirect === "error" || hops >= maxRedirects) {
      return Effect.promise(() => cancelBody(response)).pipe(
        Effect.andThen(Effect.fail(
          new TooManyRedirects(current, {
            detail: current.redirect === "error"
              ? 'a redirect was received and `redirect: "error"` forbids following it'
              : `more than ${maxRedirects} redirects`,
          }),
        )),
      );
    }
    const next = nextRequest(current, response, replayBody);
    if (next === undefined) return Effect.succeed(response);
    // OpenTelemetry counts a redirect hop as a resend (`http.request.resend_count`), for `tracing` to read.
    markResend(next, hops + 1, `redirect ${response.status}`);
    return Effect.promise(() => cancelBody(response)).pipe(
      Effect.andThen(send(next)),
      Effect.flatMap((res) => {
        markRedirected(res, next.url);
        return loop(next, res, hops + 1);
      }),
    );
  };
  return loop(request, first, 0);
};

const cancelBody = async (response: Response): Promise<void> => {
  if (response.body !== null && !response.bodyUsed) await response.body.cancel().catch(() => {});
};

/** A response reached through a redirect says so, as `fetch`'s would. */
const markRedirected = (response: Response, url: string): void => {
  if (response.url === "" || response.url !== url) Object.defineProperty(response, "url", { value: url });
  Object.defineProperty(response, "redirected", { value: true });
};
