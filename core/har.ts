/**
 * HAR 1.2, the recording format `record` writes and `replay` reads: the
 * types of the spec (http://www.softwareishard.com/blog/har-12-spec/), a
 * lenient reader for files written by any tool (browsers add `_`-prefixed
 * fields, leave out optional ones, and write HTTP/2 pseudo-headers), and the
 * encoding of bodies as text or base64.
 *
 * @module
 */

/**
 * A name/value pair: a header, a query parameter.
 *
 * @example
 * ```ts
 * import type { HarNameValue } from "@switchyard/switchyard/testing";
 * const header: HarNameValue = { name: "content-type", value: "application/json" };
 * ```
 */
export interface HarNameValue {
  /** The name. */
  readonly name: string;
  /** The value. */
  readonly value: string;
  /** A comment. */
  readonly comment?: string;
}

/**
 * A cookie sent or set.
 *
 * @example
 * ```ts
 * import type { HarCookie } from "@switchyard/switchyard/testing";
 * const cookie: HarCookie = { name: "session", value: "[redacted]", httpOnly: true };
 * ```
 */
export interface HarCookie {
  /** The name. */
  readonly name: string;
  /** The value. */
  readonly value: string;
  /** Its path. */
  readonly path?: string;
  /** Its domain. */
  readonly domain?: string;
  /** When it expires (ISO 8601). */
  readonly expires?: string;
  /** Whether it is HTTP only. */
  readonly httpOnly?: boolean;
  /** Whether it is sent over TLS only. */
  readonly secure?: boolean;
  /** A comment. */
  readonly comment?: string;
}

/**
 * A posted body. Switchyard writes `text`, and marks a binary body written as
 * base64 with `_encoding: "base64"` (HAR 1.2 has no field for it).
 *
 * @example
 * ```ts
 * import type { HarPostData } from "@switchyard/switchyard/testing";
 * const post: HarPostData = { mimeType: "application/json", text: '{"name":"Ada"}' };
 * ```
 */
export interface HarPostData {
  /** The body's media type. */
  readonly mimeType: string;
  /** Form parameters (browsers write these for form bodies). */
  readonly params?: ReadonlyArray<HarParam>;
  /** The body as text. */
  readonly text?: string;
  /** A comment. */
  readonly comment?: string;
  /** `"base64"` when `text` is the body in base64 (a Switchyard extension). */
  readonly _encoding?: string;
}

/**
 * One posted form parameter.
 *
 * @example
 * ```ts
 * import type { HarParam } from "@switchyard/switchyard/testing";
 * const param: HarParam = { name: "q", value: "switchyard" };
 * ```
 */
export interface HarParam {
  /** The name. */
  readonly name: string;
  /** The value. */
  readonly value?: string;
  /** The file name, for a posted file. */
  readonly fileName?: string;
  /** The file's media type. */
  readonly contentType?: string;
  /** A comment. */
  readonly comment?: string;
}

/**
 * The request of an entry.
 *
 * @example
 * ```ts
 * import type { HarRequest } from "@switchyard/switchyard/testing";
 * const request: HarRequest = {
 *   method: "GET", url: "http://api.test/users?page=2", httpVersion: "HTTP/1.1", cookies: [], headers: [],
 *   queryString: [{ name: "page", value: "2" }], headersSize: -1, bodySize: 0,
 * };
 * ```
 */
export interface HarRequest {
  /** The method. */
  readonly method: string;
  /** The absolute URL, without its fragment. */
  readonly url: string;
  /** The HTTP version, e.g. `"HTTP/1.1"`. */
  readonly httpVersion: string;
  /** The cookies sent. */
  readonly cookies: ReadonlyArray<HarCookie>;
  /** The headers sent. */
  readonly headers: ReadonlyArray<HarNameValue>;
  /** The query parameters. */
  readonly queryString: ReadonlyArray<HarNameValue>;
  /** The body, if any. */
  readonly postData?: HarPostData;
  /** Bytes of the request head, `-1` when unknown. */
  readonly headersSize: number;
  /** Bytes of the body, `-1` when unknown. */
  readonly bodySize: number;
  /** A comment. */
  readonly comment?: string;
}

/**
 * A response body. `text` is the decoded body, or its base64 when
 * `encoding` is `"base64"`.
 *
 * @example
 * ```ts
 * import type { HarContent } from "@switchyard/switchyard/testing";
 * const content: HarContent = { size: 2, mimeType: "application/json", text: "{}" };
 * ```
 */
export interface HarContent {
  /** Bytes of the decoded body. */
  readonly size: number;
  /** Bytes saved by compression. */
  readonly compression?: number;
  /** The media type (the `content-type` header). */
  readonly mimeType: string;
  /** The body, as text or (with `encoding`) base64. */
  readonly text?: string;
  /** `"base64"` when `text` is base64. */
  readonly encoding?: string;
  /** A comment. */
  readonly comment?: string;
}

/**
 * The response of an entry. A request that got no response (a transport
 * error) has status 0 and says why in `_error`, as browsers write it.
 *
 * @example
 * ```ts
 * import type { HarResponse } from "@switchyard/switchyard/testing";
 * const response: HarResponse = {
 *   status: 200, statusText: "OK", httpVersion: "HTTP/1.1", cookies: [], headers: [],
 *   content: { size: 0, mimeType: "" }, redirectURL: "", headersSize: -1, bodySize: 0,
 * };
 * ```
 */
export interface HarResponse {
  /** The status, or 0 when no response came. */
  readonly status: number;
  /** The status text. */
  readonly statusText: string;
  /** The HTTP version. */
  readonly httpVersion: string;
  /** The cookies set. */
  readonly cookies: ReadonlyArray<HarCookie>;
  /** The headers received. */
  readonly headers: ReadonlyArray<HarNameValue>;
  /** The body. */
  readonly content: HarContent;
  /** The `location` header's target, or `""`. */
  readonly redirectURL: string;
  /** Bytes of the response head, `-1` when unknown. */
  readonly headersSize: number;
  /** Bytes of the body as received, `-1` when unknown. */
  readonly bodySize: number;
  /** A comment. */
  readonly comment?: string;
  /** Why no response came (`"ConnectError: ..."`, or a browser's `"net::ERR_..."`). */
  readonly _error?: string | null;
}

/**
 * How long each phase took, in milliseconds (`-1`: not known).
 *
 * @example
 * ```ts
 * import type { HarTimings } from "@switchyard/switchyard/testing";
 * const timings: HarTimings = { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 12.5, receive: 3 };
 * ```
 */
export interface HarTimings {
  /** Queued, waiting for a connection. */
  readonly blocked?: number;
  /** Resolving the host. */
  readonly dns?: number;
  /** Connecting (includes `ssl`). */
  readonly connect?: number;
  /** Sending the request. */
  readonly send: number;
  /** Waiting for the response head. */
  readonly wait: number;
  /** Reading the body. */
  readonly receive: number;
  /** The TLS handshake. */
  readonly ssl?: number;
  /** A comment. */
  readonly comment?: string;
}

/**
 * One exchange: a request, its response, and when and how long.
 *
 * @example
 * ```ts
 * import type { HarEntry } from "@switchyard/switchyard/testing";
 * const started = (entry: HarEntry) => new Date(entry.startedDateTime);
 * ```
 */
export interface HarEntry {
  /** The page it belongs to (browsers). */
  readonly pageref?: string;
  /** When the request started (ISO 8601). */
  readonly startedDateTime: string;
  /** Total milliseconds: the sum of the known `timings`. */
  readonly time: number;
  /** The request. */
  readonly request: HarRequest;
  /** The response. */
  readonly response: HarResponse;
  /** Cache state (Switchyard writes `{}`). */
  readonly cache: Readonly<Record<string, unknown>>;
  /** The phases. */
  readonly timings: HarTimings;
  /** The server's IP address. */
  readonly serverIPAddress?: string;
  /** The connection's id. */
  readonly connection?: string;
  /** A comment. */
  readonly comment?: string;
}

/**
 * A HAR document.
 *
 * @example
 * ```ts
 * import type { Har } from "@switchyard/switchyard/testing";
 * const empty: Har = { log: { version: "1.2", creator: { name: "me", version: "1" }, entries: [] } };
 * ```
 */
export interface Har {
  /** The log. */
  readonly log: {
    /** `"1.2"`. */
    readonly version: string;
    /** The tool that wrote it. */
    readonly creator: { readonly name: string; readonly version: string; readonly comment?: string };
    /** The browser, when a browser wrote it. */
    readonly browser?: { readonly name: string; readonly version: string; readonly comment?: string };
    /** Pages (browsers). */
    readonly pages?: ReadonlyArray<Readonly<Record<string, unknown>>>;
    /** The exchanges, oldest first. */
    readonly entries: ReadonlyArray<HarEntry>;
    /** A comment. */
    readonly comment?: string;
  };
}

/** The `creator` Switchyard writes. */
export const CREATOR = { name: "switchyard", version: "0.1.0" } as const;

/**
 * A HAR 1.2 document holding `entries`.
 *
 * @example
 * ```ts
 * import { harOf } from "./har.ts";
 * harOf([]).log.version; // "1.2"
 * ```
 */
export const harOf = (entries: ReadonlyArray<HarEntry>): Har => ({
  log: { version: "1.2", creator: CREATOR, entries },
});

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u);

/**
 * Reads a HAR document (from any tool), checking what replaying needs: a
 * `log.entries` array whose entries each have a request (method, URL) and a
 * response (status). Returns the document, or what is wrong with it.
 *
 * @example
 * ```ts
 * import { readHarText } from "./har.ts";
 * typeof readHarText('{"log":{"entries":[]}}'); // "object"
 * readHarText("{}"); // "`log.entries` is missing: not a HAR file"
 * ```
 */
export const readHarText = (text: string): Har | string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return `it is not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  if (!isObject(parsed) || !isObject(parsed.log) || !Array.isArray(parsed.log.entries)) {
    return "`log.entries` is missing: not a HAR file";
  }
  const entries = parsed.log.entries as Array<unknown>;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const request = isObject(entry) ? entry.request : undefined;
    const response = isObject(entry) ? entry.response : undefined;
    if (!isObject(request) || typeof request.method !== "string" || typeof request.url !== "string") {
      return `log.entries[${i}].request needs a method and a url`;
    }
    if (!isObject(response) || typeof response.status !== "number") {
      return `log.entries[${i}].response needs a status`;
    }
  }
  return parsed as unknown as Har;
};

const TEXTUAL =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql)\b)|\+(json|xml)\b/i;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** `bytes` in base64. */
export const toBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
};

/** The bytes of base64 `text`. */
export const fromBase64 = (text: string): Uint8Array => {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
};

/**
 * A body as HAR writes it: text when its media type is textual (or absent)
 * and it is valid UTF-8, otherwise base64.
 *
 * @example
 * ```ts
 * import { encodeBody } from "./har.ts";
 * encodeBody(new TextEncoder().encode("{}"), "application/json"); // { text: "{}" }
 * encodeBody(new Uint8Array([0xff]), "image/png"); // { text: "/w==", encoding: "base64" }
 * ```
 */
export const encodeBody = (
  bytes: Uint8Array,
  mimeType: string,
): { readonly text: string; readonly encoding?: "base64" } => {
  if (mimeType === "" || TEXTUAL.test(mimeType)) {
    try {
      return { text: strictUtf8.decode(bytes) };
    } catch {
      // Not UTF-8: base64 below.
    }
  }
  return { text: toBase64(bytes), encoding: "base64" };
};

/**
 * The body `text` stands for: bytes when `encoding` is base64, otherwise the
 * text itself.
 *
 * @example
 * ```ts
 * import { decodeBody } from "./har.ts";
 * decodeBody("aGk=", "base64"); // Uint8Array [104, 105]
 * ```
 */
export const decodeBody = (text: string, encoding: string | undefined): string | Uint8Array<ArrayBuffer> =>
  encoding === "base64" ? fromBase64(text) as Uint8Array<ArrayBuffer> : text;
