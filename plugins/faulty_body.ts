/**
 * Response bodies that misbehave after a number of bytes, for `faults`: a
 * connection reset (the body fails with a `ReadError`), a truncation (the
 * body ends early, cleanly), a stall (no more bytes, for a while or until
 * the reader gives up). Bytes are delivered as the caller reads them.
 *
 * @module
 */

/** What happens once `afterBytes` bytes were delivered. */
export type BodyFault =
  | { readonly kind: "reset"; readonly afterBytes: number; readonly error: () => unknown }
  | { readonly kind: "truncate"; readonly afterBytes: number }
  | {
    readonly kind: "stall";
    readonly afterBytes: number;
    /** Resolves when the stall ends; `signal` aborts when the reader cancels meanwhile. */
    readonly resume?: (signal: AbortSignal) => Promise<void>;
  };

/**
 * `response` with a body that misbehaves as `fault` says. A truncated body
 * loses its `content-length` (a server that closes early sends none that
 * holds); the others keep their headers.
 */
export const faultyResponse = (response: Response, fault: BodyFault): Response => {
  const source = response.body;
  if (source === null) return response;
  const reader = source.getReader();
  let delivered = 0;
  let held: Uint8Array | undefined;
  let stalled = false;
  let release: (() => void) | undefined;
  const cancelled = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      if (delivered >= fault.afterBytes && !stalled) {
        if (fault.kind === "reset") {
          controller.error(fault.error());
          return void reader.cancel().catch(() => {});
        }
        if (fault.kind === "truncate") {
          controller.close();
          return void reader.cancel().catch(() => {});
        }
        stalled = true;
        // Without `resume`, the stall lasts until the reader cancels.
        await (fault.resume?.(cancelled.signal) ?? new Promise<void>((resolve) => (release = resolve))).catch(() => {});
        if (cancelled.signal.aborted) return;
      }
      let chunk = held;
      held = undefined;
      if (chunk === undefined) {
        const result = await reader.read();
        if (result.done) return controller.close();
        chunk = result.value;
      }
      const room = stalled ? chunk.byteLength : fault.afterBytes - delivered;
      if (chunk.byteLength > room) {
        held = chunk.subarray(room);
        chunk = chunk.subarray(0, room);
      }
      delivered += chunk.byteLength;
      if (chunk.byteLength > 0) controller.enqueue(chunk);
    },
    cancel: (reason) => {
      cancelled.abort();
      release?.();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const headers = new Headers(response.headers);
  if (fault.kind === "truncate") headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
};
