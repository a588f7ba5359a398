/**
 * Name resolution for the SSRF guard. The default asks the system resolver
 * (`getaddrinfo`, through `node:dns`'s `lookup`, on Deno and on Bun) for every
 * address: the same resolver both runtimes' fetch connects with (Deno's
 * fetch uses hyper's getaddrinfo resolver; `Deno.resolveDns` would ask the
 * DNS servers directly and could disagree with `/etc/hosts` or nsswitch).
 * `node:dns` is loaded on the first name, not at import. On Deno it needs
 * `--allow-net` for the host; without it the lookup fails, and a failure
 * refuses the request (never skips the check).
 *
 * @module
 */

/**
 * Resolves a host name to every address it has (IPv4 and IPv6, as text).
 *
 * @example
 * ```ts
 * import type { Resolve } from "@switchyard/switchyard";
 * const fixed: Resolve = (hostname) => Promise.resolve(hostname === "api.test" ? ["93.184.216.34"] : []);
 * ```
 */
export type Resolve = (hostname: string) => Promise<ReadonlyArray<string>>;

interface Lookup {
  lookup(
    hostname: string,
    options: { all: true; verbatim: true },
  ): Promise<ReadonlyArray<{ address: string; family: number }>>;
}
let dns: Promise<Lookup> | undefined;

/**
 * The system resolver: every address `getaddrinfo` gives for `hostname`.
 *
 * @example
 * ```ts
 * import { systemResolve } from "./guard_resolve.ts";
 * const addresses = await systemResolve("localhost"); // e.g. ["127.0.0.1", "::1"]
 * ```
 */
export const systemResolve: Resolve = async (hostname) => {
  const { lookup } = await (dns ??= import("node:dns/promises") as Promise<Lookup>);
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

/**
 * `pending`, settled by `signal` as fetch settles: an abort rejects at once
 * with the signal's reason (a lookup cannot be cancelled; its answer is
 * dropped).
 *
 * @example
 * ```ts
 * import { untilAborted } from "./guard_resolve.ts";
 * const controller = new AbortController();
 * controller.abort(new Error("stop"));
 * await untilAborted(new Promise(() => {}), controller.signal).catch((e) => e.message); // "stop"
 * ```
 */
export const untilAborted = <A>(pending: Promise<A>, signal: AbortSignal): Promise<A> => {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<A>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
};
