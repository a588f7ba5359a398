/**
 * Following redirects in the client (as HTTPX does), so every hop goes back
 * through the plugins and the mounts, and so the rules are the same for every
 * transport: the network one is always called with `redirect: "manual"`.
 * The rules are fetch's: 303 (and 301/302 after POST) become GET without a
 * body; 307/308 re-send the method and the body when the body can be sent
 * again, and otherwise fail as fetch does (`RedirectRefused`, a TypeError).
 *
 * @module
 */
import { Effect } from "effect";
import { type ClientError, InvalidUrl, RedirectRefused, TooManyRedirects } from "../core/errors.ts";
import { inspectRequestBody, setResponseUrl } from "../core/runtime.ts";
import { markResend } from "../plugins/resend.ts";
import { discardBody } from "../core/discard_body.ts";

/** Headers that carry credentials: never forwarded to another origin. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];
/** Headers that describe a body: dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];

/**
 * What a 307/308 can re-send: nothing (no body), the caller's `init.body`
 * (a string, bytes, Blob, FormData, URLSearchParams), an unread copy of a
 * Request input's buffered body, or nothing because the body was one-shot.
 */
export type ReplayPlan =
  | { readonly kind: "none" }
  | { readonly kind: "init"; readonly body: BodyInit }
  | { readonly kind: "copy"; readonly copy: Request }
  | { readonly kind: "one-shot" };

const NONE: ReplayPlan = Object.freeze({ kind: "none" });
/** The plan of a call that does not follow redirects, or has no body. */
export const NO_REPLAY: ReplayPlan = NONE;
const ONE_SHOT: ReplayPlan = Object.freeze({ kind: "one-shot" });

/** A body that can be read once only: a stream, or an async iterable (an async generator, a Node stream). */
const isOneShot = (body: BodyInit): boolean =>
  body instanceof ReadableStream ||
  (typeof body === "object" && body !== null && Symbol.asyncIterator in body && !(body instanceof Blob));

/**
 * The replay plan of one call, made before it is sent (a copy of a Request
 * input's body must be taken before the body is read). Only a call that may
 * follow a 307/308 with a body needs one.
 */
export const planRedirectReplay = (built: Request, init: RequestInit | undefined, input: unknown): ReplayPlan => {
  const body = init?.body;
  if (body !== undefined && body !== null) return isOneShot(body) ? ONE_SHOT : { kind: "init", body };
  if (!(input instanceof Request) || built.method === "GET" || built.method === "HEAD") return NONE;
  const source = inspectRequestBody(built);
  if (source.kind !== "buffered") return source.kind === "none" ? NONE : ONE_SHOT;
  // What the body was made from, where the runtime keeps it (Deno): sent again as it is, without a clone, whose
  // tee would hold an in-process app's `body.cancel()` until the copy is read. FormData is cloned: built again it
  // would get a new multipart boundary under the old Content-Type.
  const value = source.value;
  return typeof value === "string" || value instanceof Uint8Array || value instanceof Blob
    ? { kind: "init", body: value as BodyInit }
    : { kind: "copy", copy: built.clone() };
};

/** The plan of a follow-up request built by `nextRequest` (its body, when any, is bytes: replayable). */
const planOf = (body: BodyInit | null): ReplayPlan => (body === null ? NONE : { kind: "init", body });

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

/** The next hop of a redirect chain and its replay plan, or the typed reason it cannot be made. */
const nextRequest = (
  request: Request,
  response: Response,
  plan: ReplayPlan,
): Effect.Effect<{ readonly request: Request; readonly plan: ReplayPlan }, ClientError> =>
  Effect.suspend((): Effect.Effect<{ readonly request: Request; readonly plan: ReplayPlan }, ClientError> => {
    const from = new URL(request.url);
    const location = response.headers.get("location")!;
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      return Effect.fail(
        new InvalidUrl(request, { detail: `the ${response.status} redirect's Location is not a URL` }),
      );
    }
    if (to.protocol !== "http:" && to.protocol !== "https:") {
      return Effect.fail(
        new RedirectRefused(request, { detail: `the redirect points to a ${to.protocol} URL, not http(s)` }),
      );
    }
    const status = response.status;
    // 303 always, and 301/302 for POST, become GET without a body (fetch and HTTPX agree).
    const toGet = (status === 303 && request.method !== "HEAD") ||
      ((status === 301 || status === 302) && request.method === "POST");
    const headers = new Headers(request.headers);
    if (from.origin !== to.origin && !isHttpsUpgrade(from, to)) {
      for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    }
    headers.delete("host");
    // fetch's rule (HTTP-redirect fetch, step 11): anything but a 303 fails when the body was a stream,
    // even a 301/302 that would then become a GET.
    if (status !== 303 && plan.kind === "one-shot") {
      return Effect.fail(
        new RedirectRefused(request, {
          detail: `a ${status} after a streamed body: fetch refuses to follow it, as the body cannot be sent twice`,
        }),
      );
    }
    const base = { headers, signal: request.signal, redirect: request.redirect };
    if (toGet || plan.kind === "none" || plan.kind === "one-shot") {
      if (toGet) { for (const name of BODY_HEADERS) headers.delete(name); }
      const method = toGet ? "GET" : request.method;
      return Effect.succeed({ request: new Request(to, { ...base, method }), plan: NONE });
    }
    // FormData is encoded again with a new boundary: the old content-type would not match it.
    if (plan.kind === "init" && plan.body instanceof FormData) headers.delete("content-type");
    const body = plan.kind === "init"
      ? Effect.succeed<BodyInit>(plan.body)
      : Effect.promise(() => plan.copy.arrayBuffer());
    return Effect.map(body, (bytes) => ({
      request: new Request(to, { ...base, method: request.method, body: bytes }),
      plan: plan.kind === "init" ? plan : planOf(bytes as BodyInit),
    }));
  });

/**
 * Wraps one hop (`send`) so that redirects are followed up to `maxRedirects`.
 * Each redirect response's body is cancelled before the next hop.
 */
export const followRedirects = (
  send: (request: Request) => Effect.Effect<Response, ClientError>,
  request: Request,
  first: Response,
  maxRedirects: number,
  plan: ReplayPlan,
): Effect.Effect<Response, ClientError> => {
  const loop = (
    current: Request,
    response: Response,
    hops: number,
    plan: ReplayPlan,
  ): Effect.Effect<Response, ClientError> => {
    if (!isRedirect(response) || current.redirect === "manual") return Effect.succeed(response);
    const refusal = current.redirect === "error"
      ? new RedirectRefused(current, { detail: 'a redirect was received and `redirect: "error"` forbids following it' })
      : hops >= maxRedirects
      ? new TooManyRedirects(current, { detail: `more than ${maxRedirects} redirects` })
      : undefined;
    const next = refusal === undefined ? nextRequest(current, response, plan) : Effect.fail(refusal);
    return Effect.promise(() => discardBody(response)).pipe(
      Effect.andThen(next),
      Effect.flatMap((hop) => {
        // OpenTelemetry counts a redirect hop as a resend (`http.request.resend_count`), for `tracing` to read.
        markResend(hop.request, hops + 1, `redirect ${response.status}`);
        return Effect.flatMap(send(hop.request), (res) => {
          markRedirected(res, hop.request.url);
          return loop(hop.request, res, hops + 1, hop.plan);
        });
      }),
    );
  };
  return loop(request, first, 0, plan);
};

/** A response reached through a redirect says so, as `fetch`'s would. */
const markRedirected = (response: Response, url: string): void => {
  if (response.url !== url) setResponseUrl(response, url);
  Object.defineProperty(response, "redirected", { value: true, configurable: true });
};
