/**
 * Node's built-in modules, loaded synchronously on first use with
 * `process.getBuiltinModule` (Node 22.3+, Deno 2, Bun 1.1+). A static
 * `import "node:crypto"` would load Deno's Node compatibility layer with
 * Switchyard itself (~20 ms of cold start on Deno, ~9 ms on Bun, measured in
 * a fresh process), and a dynamic `import()` would make a synchronous step
 * asynchronous; this costs nothing until a digest is computed or a netrc
 * file read, then ~4 ms once on Deno.
 *
 * @module
 */

/** The few built-ins the credential plugins use, by the name they are loaded with. */
export interface Builtins {
  /** Hashes for HTTP Digest (Web Crypto has neither MD5 nor SHA-512/256 on Deno or Bun). */
  readonly "node:crypto": typeof import("node:crypto");
  /** Reading a netrc file when `netrc()` is called. */
  readonly "node:fs": typeof import("node:fs");
  /** The home directory, where `~/.netrc` lives. */
  readonly "node:os": typeof import("node:os");
}

interface ProcessWithBuiltins {
  getBuiltinModule(id: string): unknown;
}

const loaded = new Map<string, unknown>();

/**
 * The built-in module `id`, loaded on first call.
 *
 * @example
 * ```ts
 * import { builtin } from "./builtin.ts";
 * const hex = builtin("node:crypto").createHash("md5").update("abc").digest("hex");
 * console.assert(hex === "900150983cd24fb0d6963f7d28e17f72");
 * ```
 */
export const builtin = <K extends keyof Builtins>(id: K): Builtins[K] => {
  let module = loaded.get(id);
  if (module === undefined) {
    const process = (globalThis as { process?: Partial<ProcessWithBuiltins> }).process;
    if (typeof process?.getBuiltinModule !== "function") {
      throw new Error(`${id} is not available: this runtime has no process.getBuiltinModule (Deno 2 and Bun have it)`);
    }
    module = process.getBuiltinModule(id);
    loaded.set(id, module);
  }
  return module as Builtins[K];
};
