/**
 * The published npm shape, as a Bun user gets it: `npm pack`, then
 * `bun add ./switchyard-<version>.tgz` in a scratch project outside the
 * repository, a script there that imports `switchyard` and
 * `switchyard/http-client` and sends a request to a loopback server, and the
 * installed `switchyard` bin (run directly, and by Node, which hands it to
 * Bun). The tarball holds only what users need.
 *
 * `effect` comes from the npm registry: without it, the test is skipped
 * with the reason "registry-unreachable". On Deno, the same install is
 * checked for what Deno does with it (it will not strip TypeScript types
 * under node_modules: Deno users install from JSR).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT, runCommand } from "./fixtures/cli.ts";
import { withServer } from "./fixtures/server.ts";
import { runtimeName, testIf } from "./harness.ts";

const BIN = `${ROOT}node_modules/.bin`;

const registryReachable = await fetch("https://registry.npmjs.org/effect", {
  method: "HEAD",
  signal: AbortSignal.timeout(5_000),
}).then((r) => (void r.body?.cancel(), r.ok), () => false);

/** What may be in the tarball: the entry points, the library's floors, the CLI, and the docs npm always adds. */
const ALLOWED =
  /^(mod\.ts|http_client\.ts|router\.ts|testing\.ts|cli\.ts|package\.json|README\.md|LICENSE|CHANGELOG\.md|bin\/switchyard\.js|(core|client|transports|router|plugins|cli)\/[\w/]+\.ts)$/;

const SCRIPT = `import { Client, HttpTransport } from "switchyard";
import { SwitchyardHttpClient } from "switchyard/http-client";
import { Effect } from "effect";
import { HttpClient } from "effect/http";

await using client = Client.make({ transport: HttpTransport.make() });
const viaFetch = await (await client.fetch(process.argv[2] + "/fetch")).text();
const viaEffect = await Effect.runPromise(
  HttpClient.get(process.argv[2] + "/effect").pipe(
    Effect.flatMap((r) => r.text),
    Effect.provide(SwitchyardHttpClient.layer({})),
  ),
);
console.log(viaFetch, viaEffect);
`;

/** Packs the repository, installs the tarball with Bun in a scratch project in the OS temp dir, runs `fn`. */
const withInstalled = async (fn: (project: string, files: ReadonlyArray<string>) => Promise<void>) => {
  const project = mkdtempSync(join(tmpdir(), "switchyard-install-"));
  try {
    const pack = await runCommand(["npm", "pack", "--json", "--pack-destination", project]);
    assert.equal(pack.code, 0, pack.stderr);
    const [{ filename, files }] = JSON.parse(pack.stdout);
    writeFileSync(join(project, "package.json"), '{ "name": "scratch", "private": true, "type": "module" }\n');
    const add = await runCommand([`${BIN}/bun`, "add", `./${filename}`], { cwd: project });
    assert.equal(add.code, 0, add.stderr);
    writeFileSync(join(project, "script.ts"), SCRIPT);
    await fn(project, files.map((f: { path: string }) => f.path));
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
};

const hello = (request: Request) => new Response(`hello ${new URL(request.url).pathname}`);

testIf(
  registryReachable,
  "registry-unreachable",
  "packaging: npm pack, bun add the tarball, import it and run the bin",
  () =>
    withInstalled((project, files) =>
      withServer(hello, async (server) => {
        for (const file of files) assert.match(file, ALLOWED, `${file} should not be published`);
        for (const needed of ["mod.ts", "cli.ts", "bin/switchyard.js", "cli/main.ts", "http_client.ts", "LICENSE"]) {
          assert.ok(files.includes(needed), `${needed} is missing from the tarball`);
        }
        const env = { PATH: `${BIN}:${process.env.PATH}` };
        if (runtimeName === "bun") {
          const script = await runCommand([`${BIN}/bun`, "script.ts", server.url], { cwd: project, env });
          assert.deepEqual([script.code, script.stdout], [0, "hello /fetch hello /effect\n"], script.stderr);
        } else {
          // Deno does not strip types under node_modules: the npm package is Bun's, Deno's is on JSR.
          const script = await runCommand([process.execPath, "run", "-A", "script.ts", server.url], {
            cwd: project,
            env,
          });
          assert.notEqual(script.code, 0);
          assert.match(script.stderr, /ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING/);
        }
        const bin = join(project, "node_modules/.bin/switchyard");
        const direct = await runCommand([bin, `${server.url}/bin`], { cwd: project, env });
        assert.deepEqual([direct.code, direct.stdout, direct.stderr], [0, "hello /bin", ""]);
        const byNode = await runCommand(["node", bin, "--check-status", `${server.url}/node`], { cwd: project, env });
        assert.deepEqual([byNode.code, byNode.stdout], [0, "hello /node"], byNode.stderr);
      })
    ),
);
