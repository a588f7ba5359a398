/**
 * The second argument an in-process handler receives: one object that looks
 * like Deno's `ServeHandlerInfo` (`remoteAddr`, `completed`) and like Bun's
 * `Server` (`requestIP`, `upgrade`, `timeout`), so handlers written for
 * either runtime (and Hono's `getConnInfo`) work unchanged.
 *
 * @module
 */
import type { ClientAddress } from "./handler.ts";

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Per-request connection info. `completed` is built only if the app reads it:
 * then the response body is passed through a stream that settles it (resolves
 * when the body was fully read, rejects when it was cancelled).
 *
 * @example
 * ```ts
 * import { ServeInfo } from "./serve_info.ts";
 * const info = new ServeInfo({ hostname: "127.0.0.1", port: 123 });
 * info.remoteAddr.hostname; // "127.0.0.1"
 * ```
 */
export class ServeInfo {
  #client: ClientAddress;
  #completed: Deferred | undefined;
  constructor(client: ClientAddress) {
    this.#client = client;
  }
  /** Deno: the peer address. */
  get remoteAddr(): { transport: "tcp"; hostname: string; port: number } {
    return { transport: "tcp", hostname: this.#client.hostname, port: this.#client.port };
  }
  /** Deno: settles when the response body is done (rejects if it was cancelled). */
  get completed(): Promise<void> {
    if (this.#completed === undefined) {
      let resolve!: () => void;
      let reject!: (reason: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // An unobserved rejection must not crash the process.
      promise.catch(() => {});
      this.#completed = { promise, resolve, reject };
    }
    return this.#completed.promise;
  }
  /** Bun: the peer address of `request`. */
  requestIP(_request?: Request): { address: string; family: "IPv4" | "IPv6"; port: number } {
    return {
      address: this.#client.hostname,
      family: this.#client.hostname.includes(":") ? "IPv6" : "IPv4",
      port: this.#client.port,
    };
  }
  /** Bun: WebSocket upgrades are not possible in-process. */
  upgrade(): boolean {
    return false;
  }
  /** Bun: per-request idle timeouts do not apply in-process. */
  timeout(): void {}

  /**
   * Returns `response`, its body wrapped when something must see it end: the
   * app asked for `completed`, or the call can be aborted (`signal`). An
   * abort while the body is being read errors the caller's reads with the
   * signal's reason and cancels the app's stream, as fetch does with a
   * network body. A call nothing can abort (the Promise lane without a
   * signal) gets the app's own response, unwrapped.
   */
  track(response: Response, signal?: AbortSignal): Response {
    const completed = this.#completed;
    if (completed === undefined && signal === undefined) return response;
    const body = response.body;
    if (body === null) {
      completed?.resolve();
      return response;
    }
    const reader = body.getReader();
    let onAbort: (() => void) | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (signal === undefined) return;
        onAbort = () => {
          controller.error(signal.reason);
          completed?.reject(signal.reason);
          reader.cancel(signal.reason).catch(() => {});
        };
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
            controller.close();
            completed?.resolve();
          } else controller.enqueue(value);
        } catch (error) {
          if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
          if (signal?.aborted) return; // already errored with the reason
          controller.error(error);
          completed?.reject(error);
        }
      },
      async cancel(reason) {
        if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
        completed?.reject(reason ?? new Error("the response body was cancelled"));
        await reader.cancel(reason);
      },
    });
    return new Response(stream, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
