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
 * Only failures fetch reports as network errors get the face: transport
 * errors other than `AppError` (an in-process app's bug, not the network),
 * `LocalProtocolError` and `UnsupportedProtocol` (fetch's own `TypeError`s
 * for a bad request say so, not "fetch failed"), which reject as they are.
 *
 * @module
 */
import { AppError, LocalProtocolError, TransportErrorBase, UnsupportedProtocol } from "../core/errors.ts";

const FACE: unique symbol = Symbol("switchyard/fetch-face");

/**
 * The Promise-face rejection for `error`: its fetch face when it is a
 * network failure, else `error` itself.
 */
export const toFetchRejection = (error: unknown): unknown => {
  if (
    !(error instanceof TransportErrorBase) || error instanceof AppError || error instanceof LocalProtocolError ||
    error instanceof UnsupportedProtocol || (error as { [FACE]?: true })[FACE]
  ) return error;
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
