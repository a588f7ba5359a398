/**
 * Where the command sends a request: a unix socket (--uds, a uds: mount), an
 * in-process app (--app, an app: mount), a proxy; --explain, --har and
 * --download; and the Deno permissions the README's "Deno permissions, by feature" promises.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli, withScratch, writeFile } from "./fixtures/cli.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { test, testOn } from "./harness.ts";

const APP = `export default (request: Request) =>
  Response.json({ app: "fn", path: new URL(request.url).pathname, host: new URL(request.url).host });
`;
const FETCH_OBJECT = `export default { fetch: (request: Request) => new Response("object " + request.method) };`;

/** A server on a unix socket in `dir`, answering `who`. */
const socketServer = (dir: string, who: string) =>
  serve((request) => new Response(`${who} ${new URL(request.url).pathname}`), { unix: join(dir, `${who}.sock`) });

test("cli: --uds sends over a unix socket", () =>
  withScratch(async (dir) => {
    const server = socketServer(dir, "socket");
    try {
      const r = await runCli(["--uds", server.path!, "http://localhost/info"]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, "socket /info", ""]);
    } finally {
      await server.close();
    }
  }));

test("cli: --mount KEY=uds:PATH routes only the matching URLs to the socket; --explain says why and sends nothing", () =>
  withScratch((dir) =>
    withServer(() => new Response("network"), async (tcp) => {
      const socket = socketServer(dir, "docker");
      try {
        const mount = `all://docker=uds:${socket.path}`;
        assert.equal((await runCli(["--mount", mount, "http://docker/v1/info"])).stdout, "docker /v1/info");
        assert.equal((await runCli(["--mount", mount, tcp.url])).stdout, "network");
        const why = await runCli(["--explain", "--mount", mount, "--mount", "all://=default", "http://docker/x"]);
        assert.equal(why.code, 0, why.stderr);
        assert.match(
          why.stdout,
          /^url +http:\/\/docker\/x\nmount +all:\/\/docker\nmatches +all:\/\/docker, all:\/\/\n/,
        );
        assert.match(why.stdout, new RegExp(`\ntarget +uds:${socket.path}\ntransport +http\nplugins +\\(none\\)\n`));
        assert.match(why.stdout, /\nreason +"all:\/\/docker" wins over "all:\/\/": /);
      } finally {
        await socket.close();
      }
    })
  ));

test("cli: --app calls a module's default export in-process: a handler, or { fetch }; a path alone goes to it", () =>
  withScratch(async (dir) => {
    const fn = writeFile(dir, "fn.ts", APP);
    const object = writeFile(dir, "object.ts", FETCH_OBJECT);
    assert.deepEqual(JSON.parse((await runCli(["--app", fn, "/users/1"])).stdout), {
      app: "fn",
      path: "/users/1",
      host: "localhost",
    });
    assert.equal((await runCli(["--app", object, "DELETE", "http://any.test/"])).stdout, "object DELETE");
    const why = await runCli(["--app", fn, "--explain", "/x"]);
    assert.match(why.stdout, new RegExp(`\ntarget +app:${fn} \\(in-process\\)\ntransport +handler\n`));
  }));

test("cli: --app with a module that exports no handler, or that does not import, exits 10", () =>
  withScratch(async (dir) => {
    const none = writeFile(dir, "none.ts", "export const x = 1;");
    const r = await runCli(["--app", none, "/"]);
    assert.equal(r.code, 10);
    assert.match(r.stderr, /`--app`: got ".*none\.ts": a module without a default export; expected export default/);
    const missing = await runCli(["--app", join(dir, "missing.ts"), "/"]);
    assert.equal(missing.code, 10);
    assert.match(missing.stderr, /`--app`: got ".*missing\.ts", which did not import/);
  }));

test("cli: --mount KEY=app:FILE serves one host in-process next to the network", () =>
  withScratch((dir) =>
    withServer(() => new Response("network"), async (tcp) => {
      const fn = writeFile(dir, "fn.ts", APP);
      const mount = `all://*.app.test=app:${fn}`;
      assert.equal(JSON.parse((await runCli(["--mount", mount, "http://api.app.test/a"])).stdout).host, "api.app.test");
      assert.equal((await runCli(["--mount", mount, tcp.url])).stdout, "network");
    })
  ));

test("cli: --proxy sends through a forward proxy (absolute-form request)", () =>
  withServer(() => new Response("via proxy"), async (server) => {
    const proxy = await startProxy();
    try {
      const r = await runCli(["--proxy", proxy.url, `${server.url}/p`]);
      assert.deepEqual([r.code, r.stdout], [0, "via proxy"]);
      assert.deepEqual(proxy.requests.map((q) => `${q.method} ${q.target}`), [`GET ${server.url}/p`]);
    } finally {
      await proxy.close();
    }
  }));

test("cli: --har records each exchange (redirect hops too) as HAR 1.2, secrets redacted", () =>
  withScratch((dir) =>
    withServer((request) => {
      const url = new URL(request.url);
      if (url.pathname === "/start") return Response.redirect(new URL("/end?page=2", url), 307);
      return Response.json({ done: true }, { headers: { "set-cookie": "sid=abc" } });
    }, async (server) => {
      const har = join(dir, "out.har");
      const r = await runCli(["--follow", "--har", har, `${server.url}/start?api_key=k3y`, "name=Ada", "-a", "u:pw"]);
      assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(har, "utf8");
      assert.doesNotMatch(text, /k3y|sid=abc|dTpwdw|Basic dTpw/);
      const log = JSON.parse(text).log;
      assert.equal(log.version, "1.2");
      assert.equal(log.creator.name, "switchyard");
      assert.deepEqual(log.entries.map((e: { response: { status: number } }) => e.response.status), [307, 200]);
      const [first, second] = log.entries;
      assert.equal(first.request.method, "POST");
      assert.match(first.request.url, /\/start\?api_key=\[redacted\]$/);
      assert.deepEqual(first.request.postData, { mimeType: "application/json", text: '{"name":"Ada"}' });
      assert.equal(first.response.redirectURL, `${server.url}/end?page=2`);
      assert.equal(second.request.postData.text, '{"name":"Ada"}', "307 re-sends the body");
      const auth = second.request.headers.find((h: { name: string }) => h.name === "authorization");
      assert.equal(auth.value, "[redacted]");
      assert.deepEqual(second.response.content, {
        size: 13,
        mimeType: second.response.content.mimeType,
        text: '{"done":true}',
      });
      assert.ok(typeof second.timings.wait === "number" && second.timings.wait >= 0);
      assert.ok(!Number.isNaN(Date.parse(second.startedDateTime)));
    })
  ));

test("cli: --download writes the body to the file; no progress bar when stderr is not a terminal", () =>
  withScratch((dir) =>
    withServer(() => new Response(new Uint8Array(300_000).fill(7)), async (server) => {
      const file = join(dir, "blob.bin");
      const r = await runCli(["--download", file, server.url]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, "", ""]);
      const bytes = readFileSync(file);
      assert.equal(bytes.length, 300_000);
      assert.ok(bytes.every((b) => b === 7));
    })
  ));

testOn(
  "deno",
  "runtime-lacks-feature",
  "cli: on Deno, a loopback GET needs only --allow-net; --app needs --allow-read too",
  () =>
    withServer(() => new Response("ok"), async (server) => {
      const net = await runCli([server.url], { permissions: ["--allow-net=127.0.0.1"] });
      assert.deepEqual([net.code, net.stdout], [0, "ok"], net.stderr);
      // Outside the project: Deno lets a program import files next to it without --allow-read.
      const dir = mkdtempSync(join(tmpdir(), "switchyard-app-"));
      try {
        const fn = writeFile(dir, "fn.ts", APP);
        const denied = await runCli(["--app", fn, "/"], { permissions: [] });
        assert.equal(denied.code, 10);
        assert.match(denied.stderr, /--allow-read/);
        const allowed = await runCli(["--app", fn, "/"], { permissions: ["--allow-read"] });
        assert.equal(JSON.parse(allowed.stdout).app, "fn", allowed.stderr);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
);

test("cli: -A digest answers the server's challenge (RFC 7616, MD5, qop auth) with the digest() plugin", () => {
  const md5 = (text: string) => createHash("md5").update(text).digest("hex");
  const nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  return withServer((request) => {
    const header = request.headers.get("authorization") ?? "";
    if (!header.startsWith("Digest ")) {
      return new Response("who?", {
        status: 401,
        headers: { "www-authenticate": `Digest realm="cli", qop="auth", algorithm=MD5, nonce="${nonce}"` },
      });
    }
    const p = Object.fromEntries(
      [...header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1], m[2] ?? m[3]]),
    );
    const ha1 = md5(`ada:cli:s3cret`);
    const ha2 = md5(`GET:${p.uri}`);
    const ok = p.response === md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) && p.username === "ada";
    return new Response(ok ? "welcome ada" : "wrong digest", { status: ok ? 200 : 403 });
  }, async (server) => {
    const r = await runCli(["-A", "digest", "-a", "ada:s3cret", `${server.url}/private`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "welcome ada");
    assert.doesNotMatch(r.stderr, /s3cret/);
  });
});
