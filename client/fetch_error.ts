/**
 * How a transport failure looks on the Promise face: the way fetch's own
 * network error looks, without leaving the error tree.
 *
 * fetch rejects a network failure with `TypeError("fetch failed", { cause })`
 * (Deno, undici), and code written for fetch recognises exactly that: the
 * `is-network-error` check that ky (and p-retry, and others) use wants an
 * Error whose `name` is `"TypeError"` and whose `message` is one of the
 * runtimes' known network messages. So `client.fetch` rejects with a *fetch
 * face* of the tagged error: an object whose prototype is the tagged error
 * itself, with `name` `"TypeError"`, `message` `"fetch failed"` and `cause`
 * the tagged error. Everything else is the tagged error's: `instanceof
 * ConnectError` (and `TransportErrorBase`, `TypeError`, ...), `_tag`,
 * `method`, `url`, `detail`, `toJSON`, and the `stack`, which still reads
 * `ConnectError: Could not connect: GET ...`. The Effect face gets the
 * tagged error itself.
 *
 * Only the failures fetch itself reports as a network error get the face:
 * timeouts, connect/read/write errors, a peer that broke HTTP, a proxy that
 * failed. Everything else rejects as the tagged error itself (also a
 * `TypeError`): a malformed request or unsupported scheme (fetch's own
 * messages for those are not "fetch failed"), an in-process app's throw, and
 * the plugins' own refusals (credentials, an open circuit, a blocked address,
 * an unmatched mock), which code written for fetch must not mistake for a
 * flaky network and retry.
 *
 * @module
 */
import { NetworkErrorBase, ProxyError, RemoteProtocolError, TimeoutErrorBase } from "../core/errors.ts";

const FACE: unique symbol = Symbol("switchyard/fetch-face");

/**
 * The Promise-face rejection for `error`: its fetch face when it is a
 * network failure, else `error` itself.
 */
export const toFetchRejection = (error: unknown): unknown => {
  const network = error instanceof NetworkErrorBase || error instanceof TimeoutErrorBase ||
    error instanceof RemoteProtocolError || error instanceof ProxyError;
  if (!network || (error as { [FACE]?: true })[FACE]) return error;
  return Object.create(error, {
    name: { value: "TypeError", configurable: true, writable: true },
    message: { value: "fetch failed", configurable: true, writable: true },
    cause: { value: error, configurable: true, writable: true },
    stack: { value: error.stack, configurable: true, writable: true },
    // What Object.prototype.toString reports for an Error (the face has no [[ErrorData]] slot of its own).
    [Symbol.toStringTag]: { value: "Error", configurable: true },
    [FACE]: { value: true },
  });
};

/** The tagged error behind a fetch face (or `error` itself): for code that prints its full sentence. */
export const taggedError = (error: unknown): unknown =>
  typeof error === "object" && error !== null && (error as { [FACE]?: true })[FACE] === true
    ? Object.getPrototypeOf(error)
    : error;
