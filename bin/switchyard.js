#!/usr/bin/env bun
// The `switchyard` command of the npm package (`bunx switchyard`, `npx switchyard`).
// Switchyard runs on Bun and Deno, not on Node: under Bun or Deno this file runs the CLI in
// this process; under Node (`node …/switchyard.js`, or a shim that ignores the shebang) it
// runs it again with `bun`, else with `deno run -A`, found on PATH, and passes the exit code on.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../cli.ts", import.meta.url));
if ("Bun" in globalThis || "Deno" in globalThis) {
  await import("../cli.ts");
} else {
  const args = process.argv.slice(2);
  const runtimes = [["bun", [cli, ...args]], ["deno", ["run", "-A", cli, ...args]]];
  for (const [command, argv] of runtimes) {
    const result = spawnSync(command, argv, { stdio: "inherit" });
    if (result.error?.code === "ENOENT") continue;
    if (result.error) throw result.error;
    process.exit(result.status ?? (result.signal === "SIGINT" ? 130 : 1));
  }
  process.stderr.write(
    "switchyard: needs Bun (https://bun.sh) or Deno (https://deno.com) on PATH; Node cannot run it.\n",
  );
  process.exit(10);
}
