/**
 * Switchyard: HTTPX's transport architecture for Deno and Bun, built on Effect.
 *
 * @module
 */
export * from "./core/errors.ts";
export { type Plugin, Transport, type TransportSpec, type TransportStatics } from "./core/transport.ts";
export { runtime, type RuntimeName } from "./core/runtime.ts";
