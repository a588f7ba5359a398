/**
 * The package's version, for `--version`, the `User-Agent` and HAR's
 * `creator` (tests/cli_test.ts checks it against package.json and deno.json).
 *
 * @module
 */

/** The version in package.json and deno.json. */
export const VERSION = "0.1.0";
