/**
 * Cancelling a body nobody will read: a response left behind (a retried
 * answer, a redirect, an abandoned call) or a request copy never sent. Its
 * connection or its source is freed now rather than when it is collected.
 *
 * @module
 */

/**
 * Cancels `message`'s body, if it has one; never throws and never rejects (a
 * body already read, locked or failed has nothing left to free). The promise
 * settles when the cancel has run, for callers that must wait for it.
 *
 * @example
 * ```ts
 * import { discardBody } from "./discard_body.ts";
 * const response = new Response("never read");
 * await discardBody(response);
 * console.assert(response.bodyUsed === false && response.body?.locked === false);
 * ```
 */
export const discardBody = (
  message: { readonly body: ReadableStream<Uint8Array> | null } | undefined,
): Promise<void> => message?.body?.cancel().catch(() => {}) ?? Promise.resolve();
