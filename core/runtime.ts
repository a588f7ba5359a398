/**
 * Which runtime we are on, and the small typed views of `Deno` and `Bun`
 * that Switchyard uses (so that the package type-checks on either runtime
 * without the other's type package).
 *
 * @module
 */

/**
 * The runtimes Switchyard supports.
 *
 * @example
 * ```ts
 * import type { RuntimeName } from "./runtime.ts";
 * const name: RuntimeName = "bun";
 * ```
 */
export type RuntimeName = "deno" | "bun";

interface RuntimeGlobals {
  readonly Deno?: { readonly version: { readonly deno: string } };
  readonly Bun?: { readonly version: string };
}

const globals = globalThis as unknown as RuntimeGlobals;

/**
 * The runtime this code runs on: `"deno"`, `"bun"`, or `"unsupported"` (then
 * the network transport refuses to be built, with an `InvalidOptions` that
 * says so, rather than guessing). Bun is checked first, because Bun also
 * defines a partial `Deno` shim in some versions.
 *
 * @example
 * ```ts
 * import { runtime } from "./runtime.ts";
 * console.log(`running on ${runtime.name} ${runtime.version}`);
 * ```
 */
export const runtime: { readonly name: RuntimeName | "unsupported"; readonly version: string } = globals.Bun
  ? { name: "bun", version: globals.Bun.version }
  : globals.Deno
  ? { name: "deno", version: globals.Deno.version.deno }
  : { name: "unsupported", version: "unknown" };

/**
 * Reads an environment variable on either runtime; `undefined` when unset or
 * when Deno denies the `env` permission (Switchyard never prompts for it).
 *
 * @example
 * ```ts
 * import { readEnv } from "./runtime.ts";
 * readEnv("HTTP_PROXY");
 * ```
 */
export const readEnv = (name: string): string | undefined => {
  const g = globalThis as unknown as {
    Deno?: {
      env: { get(k: string): string | undefined };
      permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    };
    process?: { env: Record<string, string | undefined> };
  };
  if (runtime.name === "deno" && g.Deno) {
    const state = g.Deno.permissions?.querySync?.({ name: "env", variable: name }).state;
    if (state !== undefined && state !== "granted") return undefined;
    return g.Deno.env.get(name);
  }
  return g.process?.env[name];
};
