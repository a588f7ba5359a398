/**
 * `--app ./server.ts` and `app:` mount targets: a module's default export,
 * a fetch handler or an object with `fetch` (what `Deno.serve`, `deno serve`
 * and `Bun.serve` accept; a Hono app is one), called in-process.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type FetchHandler, InvalidOptions } from "../mod.ts";

const describe = (value: unknown): string =>
  value === undefined
    ? "a module without a default export"
    : `a default export of type ${value === null ? "null" : typeof value}${
      typeof value === "object" ? " without a fetch method" : ""
    }`;

/** Imports `path` (relative to the working directory) and returns its handler. Throws `InvalidOptions`. */
export const loadApp = async (path: string, flag: string): Promise<FetchHandler> => {
  let module: { default?: unknown };
  try {
    // The user's own file, as an absolute file: URL: nothing for the publisher to rewrite. `deno publish`
    // warns about it (unanalyzable-dynamic-import) and has no way to silence that (denoland/deno#22594).
    module = await import(pathToFileURL(resolve(path)).href);
  } catch (error) {
    throw new InvalidOptions({
      option: flag,
      received: `${JSON.stringify(path)}, which did not import (${error instanceof Error ? error.message : error})`,
      expected: "a JavaScript or TypeScript module this runtime can import (on Deno: --allow-read for it)",
    });
  }
  const handler = module.default;
  if (typeof handler === "function") return handler as FetchHandler;
  if (typeof handler === "object" && handler !== null && typeof (handler as { fetch?: unknown }).fetch === "function") {
    const app = handler as { fetch: FetchHandler };
    return (request, info) => app.fetch(request, info);
  }
  throw new InvalidOptions({
    option: flag,
    received: `${JSON.stringify(path)}: ${describe(handler)}`,
    expected: "export default (request) => Response, or export default { fetch(request) { ... } } (a Hono app works)",
  });
};
