/**
 * The cache as a small state machine both lanes drive (cache.ts): `begin`
 * looks at a request at a given time and either answers it (a hit, a stale
 * answer, a `504` for `only-if-cached`) or says what to forward; `received`
 * and `failed` take what came back (at the time it came) and give the answer,
 * or one more request to forward (a `304` that matches nothing stored). Only
 * the sequencing is written per lane; every decision is here and in
 * cache_policy.ts, and every answer carries a `cache-status` (RFC 9211).
 *
 * @module
 */
import type { TransportError } from "../core/errors.ts";
import { storingStream } from "./cache_body.ts";
import {
  currentAge,
  decide,
  freshnessOf,
  mergeHeaders,
  NO_RULES,
  refusalToStore,
  type RequestRules,
  requestRules,
  staleOnError,
  storedHeaders,
  validatorMatches,
  varyNames,
} from "./cache_policy.ts";
import { type CacheEntry, entrySize, MemoryStore } from "./cache_store.ts";
import { discardBody } from "../core/discard_body.ts";
import { setResponseUrl } from "../core/runtime.ts";

/** What the engine was configured with (checked by cache.ts). */
export interface EngineConfig {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxEntryBytes: number;
  readonly key: (request: Request) => string;
  readonly authorized: boolean;
  readonly heuristic: number;
  /** The `cache-status` identifier, already an sf-token or sf-string. */
  readonly name: string;
}

/** A request to send on, and what to do with its answer. */
export interface Forward {
  readonly kind: "forward";
  /** What to send (the request, or a conditional copy of it). */
  readonly request: Request;
  /** The caller's request. */
  readonly original: Request;
  /** `pass`: annotate only; `store`: store if allowed; `validate`: a conditional request for `entry`. */
  readonly mode: "pass" | "store" | "validate";
  /** The `cache-status` parameters so far (`fwd=...`, `detail=...`). */
  readonly status: string;
  readonly key: string;
  readonly partition: string;
  readonly entry: CacheEntry | undefined;
  readonly rules: RequestRules;
  readonly requestTime: number;
  /** An unsafe method: a non-error answer invalidates what is stored for its URL. */
  readonly invalidates: boolean;
}

/** What `begin` decided. */
export type Step =
  | { readonly kind: "answer"; readonly response: Response; readonly background?: Forward }
  | { readonly kind: "wait"; readonly ready: Promise<void> }
  | Forward;

const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** What one pass over a request's headers found (`Headers#forEach` is the cheapest walk on Deno and Bun). */
interface Seen {
  special: "" | "range" | "conditional";
  authorization: string | null;
  cacheControl: string | null;
  pragma: string | null;
}
const seen: Seen = { special: "", authorization: null, cacheControl: null, pragma: null };
const visit = (value: string, name: string): void => {
  switch (name) {
    case "range":
      seen.special = "range";
      break;
    case "if-none-match":
    case "if-modified-since":
    case "if-match":
    case "if-unmodified-since":
    case "if-range":
      if (seen.special === "") seen.special = "conditional";
      break;
    case "authorization":
      seen.authorization = value;
      break;
    case "cache-control":
      seen.cacheControl = value;
      break;
    case "pragma":
      seen.pragma = value;
  }
};
/** One synchronous pass, into a shared record (read before anything else can scan). */
const scanHeaders = (headers: Headers): Seen => {
  seen.special = "";
  seen.authorization = seen.cacheControl = seen.pragma = null;
  headers.forEach(visit);
  return seen;
};

/** `response` with `url` set to the request's, as a fetch response has it. */
const withUrl = (response: Response, url: string): Response =>
  response.url === url ? response : setResponseUrl(response, url);

/**
 * The engine: a store plus the decisions.
 *
 * @example
 * ```ts
 * import { CacheEngine } from "./cache_engine.ts";
 * const engine = new CacheEngine({
 *   maxEntries: 10, maxBytes: 1 << 20, maxEntryBytes: 1 << 16, key: (r) => r.url, authorized: false,
 *   heuristic: 0.1, name: "switchyard",
 * });
 * engine.begin(new Request("http://x.test/"), 0).kind; // "forward"
 * ```
 */
export class CacheEngine {
  readonly store: MemoryStore;
  private hmac: ((credential: string) => string) | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly config: EngineConfig) {
    this.store = new MemoryStore(config.maxEntries, config.maxBytes);
  }

  /** What to do with `request` at `now`. */
  begin(request: Request, now: number): Step {
    const method = request.method;
    if (method !== "GET" && method !== "HEAD") {
      return this.forward(request, "pass", "fwd=method", now, { invalidates: !SAFE.has(method) });
    }
    const headers = request.headers;
    const seen = scanHeaders(headers);
    if (seen.special === "range") return this.forward(request, "pass", "fwd=bypass; detail=range", now);
    if (seen.special === "conditional") return this.forward(request, "pass", "fwd=bypass; detail=conditional", now);
    let partition = "";
    const credential = seen.authorization;
    if (credential !== null) {
      if (!this.config.authorized) return this.forward(request, "pass", "fwd=bypass; detail=authorization", now);
      if (this.hmac === undefined) return { kind: "wait", ready: this.loadHmac() };
      partition = this.hmac(credential);
    }
    const rules = seen.cacheControl === null && seen.pragma === null ? NO_RULES : requestRules(headers);
    const key = this.config.key(request);
    if (rules.noStore) return this.forward(request, "pass", "fwd=request; detail=no-store", now, { rules });
    const found = this.store.find(key, partition, headers);
    if (found !== undefined && found !== "vary-miss") {
      const use = decide(found.freshness, rules, now);
      switch (use.kind) {
        case "fresh":
        case "stale":
          this.store.touch(found);
          return { kind: "answer", response: this.serve(found, now, "", method, use.ttl) };
        case "revalidate-in-background": {
          this.store.touch(found);
          const response = this.serve(found, now, "; detail=stale-while-revalidate", method, use.ttl);
          if (found.revalidating) return { kind: "answer", response };
          found.revalidating = true;
          // Its own request: the caller's signal must not cancel it, nor its body be read twice.
          const quiet = new Request(request.url, { method: "GET", headers: this.conditional(headers, found) });
          const background = this.forward(quiet, "validate", "fwd=stale", now, { rules, key, partition, entry: found });
          return { kind: "answer", response, background };
        }
        case "unavailable":
          return { kind: "answer", response: this.gatewayTimeout() };
        case "validate":
          if (method === "HEAD") return this.forward(request, "pass", `fwd=${use.fwd}`, now, { rules });
          return this.forward(
            new Request(request, { headers: this.conditional(headers, found) }),
            "validate",
            `fwd=${use.fwd}`,
            now,
            { rules, key, partition, entry: found },
            request,
          );
      }
    }
    if (rules.onlyIfCached) return { kind: "answer", response: this.gatewayTimeout() };
    const fwd = found === "vary-miss" ? "fwd=vary-miss" : "fwd=uri-miss";
    if (method === "HEAD") return this.forward(request, "pass", fwd, now, { rules });
    return this.forward(request, "store", fwd, now, { rules, key, partition });
  }

  /** The answer for what `step` received at `now`, or one more request to forward. */
  received(step: Forward, response: Response, now: number): Response | Forward {
    const status = response.status;
    const original = step.original;
    if (step.invalidates && status < 400) this.invalidate(original, response);
    if (step.mode === "pass") return this.annotate(response, `${step.status}; fwd-status=${status}`, original.url);
    const entry = step.entry;
    if (step.mode === "validate" && entry !== undefined) {
      if (status === 304) {
        discardBody(response);
        if (!validatorMatches(entry.freshness.etag, response.headers)) {
          // The 304 is for another representation than the one stored: ask again, unconditionally.
          this.store.remove(entry);
          const { rules, key, partition } = step;
          return this.forward(original, "store", step.status, now, { rules, key, partition });
        }
        const refreshed = this.refresh(entry, response.headers, step.requestTime, now);
        return this.serve(refreshed, now, `${step.status}; fwd-status=304`, original.method);
      }
      if (staleOnError(entry.freshness, step.rules, now, status)) {
        discardBody(response);
        return this.serve(entry, now, `${step.status}; fwd-status=${status}; detail=stale-if-error`, original.method);
      }
    }
    return this.storing(step, response, now);
  }

  /** The answer for a forward that failed with `error` at `now` (a stale one, when allowed), or `undefined`. */
  failed(step: Forward, _error: TransportError, now: number): Response | undefined {
    const entry = step.entry;
    if (step.mode !== "validate" || entry === undefined || !staleOnError(entry.freshness, step.rules, now)) {
      return undefined;
    }
    return this.serve(entry, now, `${step.status}; detail=stale-if-error`, step.original.method);
  }

  /** A background revalidation ended (whatever its outcome). */
  settledBackground(step: Forward): void {
    if (step.entry !== undefined) step.entry.revalidating = false;
  }

  private forward(
    request: Request,
    mode: Forward["mode"],
    status: string,
    now: number,
    more: Partial<Pick<Forward, "rules" | "key" | "partition" | "entry" | "invalidates">> = {},
    original: Request = request,
  ): Forward {
    return {
      kind: "forward",
      request,
      original,
      mode,
      status,
      key: more.key ?? "",
      partition: more.partition ?? "",
      entry: more.entry,
      rules: more.rules ?? NO_RULES,
      requestTime: now,
      invalidates: more.invalidates ?? false,
    };
  }

  /** The caller's headers plus the entry's validators. */
  private conditional(headers: Headers, entry: CacheEntry): Headers {
    const out = new Headers(headers);
    if (entry.freshness.etag !== null) out.set("if-none-match", entry.freshness.etag);
    if (entry.freshness.lastModified !== null) out.set("if-modified-since", entry.freshness.lastModified);
    return out;
  }

  /**
   * A stored response as an answer, with its `age` and `cache-status`: a
   * clone of the template made for the same age, ttl and status (numbers and
   * a constant compared, no string built on a repeated hit). `ttl` is given
   * for a hit (`hit; ttl=<ttl><status>`); otherwise `status` is the whole value.
   */
  private serve(entry: CacheEntry, now: number, status: string, method: string, ttl?: number): Response {
    const age = Math.floor(currentAge(entry.freshness, now) / 1000);
    let template = entry.template;
    if (template === undefined || template.age !== age || template.ttl !== ttl || template.status !== status) {
      const response = entry.base.clone();
      response.headers.set("age", String(age));
      const value = ttl === undefined ? status : `hit; ttl=${ttl}${status}`;
      response.headers.append("cache-status", `${this.config.name}; ${value}`);
      template = entry.template = { age, ttl, status, response };
    }
    const answer = template.response;
    if (method !== "HEAD") return answer.clone();
    return new Response(null, { status: answer.status, statusText: answer.statusText, headers: answer.headers });
  }

  private gatewayTimeout(): Response {
    return new Response("only-if-cached: nothing usable is stored", {
      status: 504,
      statusText: "Gateway Timeout",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        "cache-status": `${this.config.name}; detail=only-if-cached`,
      },
    });
  }

  /** `response` with our `cache-status` appended (a copy when its headers are immutable, as Deno's fetch makes them). */
  private annotate(response: Response, status: string, url: string): Response {
    const value = `${this.config.name}; ${status}`;
    try {
      response.headers.append("cache-status", value);
      return response;
    } catch {
      // Immutable headers: answer with a copy.
    }
    const headers = new Headers(response.headers);
    headers.append("cache-status", value);
    const body = response.body === null ? null : storingStream(response.body, 0);
    return withUrl(new Response(body, { status: response.status, statusText: response.statusText, headers }), url);
  }

  /** A response that may be stored: stored (its body as the caller reads it), or passed on saying why not. */
  private storing(step: Forward, response: Response, now: number): Response {
    const status = response.status;
    const { original, entry } = step;
    const fwd = `${step.status}; fwd-status=${status}`;
    const freshness = freshnessOf(status, response.headers, step.requestTime, now, this.config.heuristic);
    const refusal = refusalToStore(status, response.headers, freshness);
    if (refusal !== undefined) {
      // A new representation the origin will not let be stored evicts the old one (an error status does not).
      if (entry !== undefined && status < 500) this.store.remove(entry);
      return this.annotate(response, `${fwd}; detail=${refusal}`, original.url);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    if (length > this.config.maxEntryBytes) return this.annotate(response, `${fwd}; detail=too-large`, original.url);
    const names = varyNames(response.headers) as ReadonlyArray<string>;
    const vary = names.map((name) => [name, original.headers.get(name)?.trim() ?? null] as const);
    const headers = storedHeaders(response.headers);
    const put = (bytes: Uint8Array<ArrayBuffer> | null) => {
      const bodySize = bytes?.byteLength ?? 0;
      this.store.put({
        key: step.key,
        partition: step.partition,
        vary,
        status,
        statusText: response.statusText,
        headers,
        base: new Response(bytes, { status, statusText: response.statusText, headers }),
        bodySize,
        size: entrySize(step.key, headers, bodySize),
        freshness,
        revalidating: false,
      });
    };
    if (response.body === null) {
      put(null);
      return this.annotate(response, `${fwd}; stored`, original.url);
    }
    const copy = new Headers(response.headers);
    copy.append("cache-status", `${this.config.name}; ${fwd}; stored`);
    const body = storingStream(response.body, this.config.maxEntryBytes, put);
    return withUrl(new Response(body, { status, statusText: response.statusText, headers: copy }), original.url);
  }

  /** The entry, refreshed by a `304` received at `now` (stored anew: its size may change). */
  private refresh(entry: CacheEntry, notModified: Headers, requestTime: number, now: number): CacheEntry {
    const headers = mergeHeaders(entry.headers, notModified);
    const withAge = new Headers(headers);
    const age = notModified.get("age");
    if (age !== null) withAge.set("age", age);
    // The same bytes under the merged headers: a clone shares the body, its headers are its own.
    const base = entry.base.clone();
    for (const name of [...base.headers.keys()]) base.headers.delete(name);
    for (const [name, value] of headers) base.headers.append(name, value);
    const refreshed: CacheEntry = {
      ...entry,
      template: undefined,
      headers,
      base,
      size: entrySize(entry.key, headers, entry.bodySize),
      freshness: freshnessOf(entry.status, withAge, requestTime, now, this.config.heuristic),
      revalidating: false,
    };
    this.store.put(refreshed);
    return refreshed;
  }

  /** After an unsafe method: what is stored for its URL, and its `Location` / `Content-Location` on the same origin. */
  private invalidate(request: Request, response: Response): void {
    this.store.delete(this.config.key(request));
    const origin = new URL(request.url).origin;
    for (const name of ["location", "content-location"]) {
      const value = response.headers.get(name);
      if (value === null) continue;
      let target: URL;
      try {
        target = new URL(value, request.url);
      } catch {
        continue;
      }
      if (target.origin === origin) {
        this.store.delete(this.config.key(new Request(target, { headers: request.headers })));
      }
    }
  }

  private loadHmac(): Promise<void> {
    return this.loading ??= import("node:crypto").then((crypto) => {
      // A per-cache random key: the partition says nothing about the credential, even to a dictionary attack.
      const secret = crypto.randomBytes(32);
      this.hmac = (credential) => crypto.createHmac("sha256", secret).update(credential).digest("base64url");
    });
  }
}
