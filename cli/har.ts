/**
 * A minimal HAR 1.2 writer for `--har` (http://www.softwareishard.com/blog/har-12-spec/),
 * secrets redacted: `Authorization`, `Proxy-Authorization`, `Cookie`,
 * `Set-Cookie` (and the other secret headers), URL userinfo and
 * secret-looking query values.
 *
 * MERGE NOTE (lead): stop-gap until the shared `record` plugin (issue 15)
 * lands; see cli/exchange.ts.
 *
 * @module
 */
import { isSecretHeader, REDACTED, redactUrl } from "../core/redact.ts";
import type { Exchange } from "./exchange.ts";
import { VERSION } from "./version.ts";

interface NameValue {
  readonly name: string;
  readonly value: string;
}

const headers = (h: Headers): Array<NameValue> =>
  [...h].map(([name, value]) => ({ name, value: isSecretHeader(name) ? REDACTED : value }));

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text when the bytes are UTF-8, else base64 (HAR's `encoding`). */
const content = (bytes: Uint8Array): { text: string; encoding?: "base64" } => {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    let binary = "";
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return { text: btoa(binary), encoding: "base64" };
  }
};

const entry = async (exchange: Exchange): Promise<Record<string, unknown>> => {
  const { request } = exchange;
  const url = new URL(redactUrl(request.url));
  const sent = await exchange.requestBody;
  const harRequest = {
    method: request.method,
    url: url.href,
    httpVersion: "",
    cookies: [],
    headers: headers(request.headers),
    queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
    ...(sent === undefined
      ? {}
      : { postData: { mimeType: request.headers.get("content-type") ?? "", ...content(sent) } }),
    headersSize: -1,
    bodySize: sent?.length ?? 0,
  };
  if ("error" in exchange.outcome) {
    return {
      startedDateTime: new Date(exchange.startedAt).toISOString(),
      time: exchange.waitMs,
      request: harRequest,
      response: {
        status: 0,
        statusText: "",
        httpVersion: "",
        cookies: [],
        headers: [],
        content: { size: 0, mimeType: "" },
        redirectURL: "",
        headersSize: -1,
        bodySize: -1,
        _error: `${exchange.outcome.error._tag}: ${exchange.outcome.error.message}`,
      },
      cache: {},
      timings: { send: 0, wait: exchange.waitMs, receive: 0 },
    };
  }
  const { response } = exchange.outcome;
  const { bytes, receiveMs } = await exchange.outcome.body;
  const location = response.headers.get("location");
  return {
    startedDateTime: new Date(exchange.startedAt).toISOString(),
    time: exchange.waitMs + receiveMs,
    request: harRequest,
    response: {
      status: response.status,
      statusText: response.statusText,
      httpVersion: "",
      cookies: [],
      headers: headers(response.headers),
      content: { size: bytes.length, mimeType: response.headers.get("content-type") ?? "", ...content(bytes) },
      redirectURL: location === null ? "" : redactUrl(new URL(location, request.url)),
      headersSize: -1,
      bodySize: bytes.length,
    },
    cache: {},
    timings: { send: 0, wait: exchange.waitMs, receive: receiveMs },
  };
};

/** The HAR document of `exchanges`, in order. */
export const harLog = async (exchanges: ReadonlyArray<Exchange>): Promise<{ log: Record<string, unknown> }> => ({
  log: {
    version: "1.2",
    creator: { name: "switchyard", version: VERSION },
    entries: await Promise.all(exchanges.map(entry)),
  },
});
