/**
 * Connection pinning: the contract between a plugin that has checked where a
 * request's host name resolves (the SSRF guard) and a transport that can
 * connect to that checked address while still speaking to, and verifying TLS
 * against, the host name. That closes DNS rebinding: the name cannot resolve
 * to something else between the check and the connect.
 *
 * A pin is a hint, never a redirection of the request: the Request keeps its
 * URL (routing, redirects, cookies, errors and logs all see the host), and a
 * transport that cannot pin (an in-process app, a mock, Deno's fetch, which
 * has no TLS server-name override) ignores it. Pins live in a WeakMap keyed
 * by the Request (the guard is meant to be the innermost plugin, so the
 * Request it pins is the one the transport gets). HttpTransport's retries
 * re-send that same Request on Bun (the pinned send copies it, so the
 * original is never consumed): a retry stays pinned.
 *
 * @module
 */

const pins = new WeakMap<Request, string>();
/** Whether any pin was ever made: a transport that never meets a guard pays one boolean test. */
let pinning = false;

/**
 * Pins `request`'s connection to `address` (an IP literal as `URL` writes a
 * host: `93.184.216.34` or `[2606:2800:220:1::]`), the address a check
 * approved for its host name.
 *
 * @example
 * ```ts
 * import { pinConnection, pinnedAddress } from "./connect_pin.ts";
 * const request = new Request("https://example.com/");
 * pinConnection(request, "93.184.216.34");
 * pinnedAddress(request); // "93.184.216.34"
 * ```
 */
export const pinConnection = (request: Request, address: string): void => {
  pinning = true;
  pins.set(request, address);
};

/**
 * The address `request`'s connection is pinned to, or `undefined`.
 *
 * @example
 * ```ts
 * import { pinnedAddress } from "./connect_pin.ts";
 * pinnedAddress(new Request("https://example.com/")); // undefined
 * ```
 */
export const pinnedAddress = (request: Request): string | undefined => pinning ? pins.get(request) : undefined;
