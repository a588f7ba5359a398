/**
 * The router on its own (`@switchyard/switchyard/router`): HTTPX's mount keys
 * compiled into a lookup for any values, not only transports. `Mounts` is
 * built on it; use it to route your own things by URL (credentials by origin,
 * rate limits by host, ...).
 *
 * @example
 * ```ts
 * import { Router } from "@switchyard/switchyard/router";
 * const router = Router.make({ "all://*.internal": "direct", "https://": "tls" });
 * console.assert(router.resolve(new URL("http://db.internal/"))?.value === "direct");
 * ```
 *
 * @module
 */
export { type CidrRange, type HostMatch, type Priority, UrlPattern, type UrlPatternStatics } from "./router/pattern.ts";
export { type Route, Router, type RouterStatics } from "./router/router.ts";
