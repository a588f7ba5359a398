/**
 * The `switchyard` command: HTTPie-style request items and httpx-style
 * options, plus what neither has: `--app` (an in-process fetch handler),
 * `--mount KEY=TARGET`, `--explain` and `--har`.
 *
 * ```sh
 * deno run -A jsr:@switchyard/switchyard/cli httpbin.org/get name==Ada
 * bunx switchyard POST :3000/users name=Ada admin:=true
 * ```
 *
 * Running this module runs the command with the process's arguments and
 * exits with its code (the README's "Exit codes" has the table).
 *
 * @module
 */
import process from "node:process";
import { processIo } from "./cli/io.ts";
import { run } from "./cli/main.ts";

process.exit(await run(process.argv.slice(2), processIo()));
