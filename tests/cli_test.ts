/**
 * The `switchyard` command as a process, on this runtime, against a real
 * loopback server: request items, bodies, the print selectors, --offline,
 * redaction and the piped-output rules (tests/fixtures/cli.ts runs it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { runCli, withScratch, writeFile } from "./fixtures/cli.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { VERSION } from "../cli/version.ts";

/** Answers with what it received, as JSON. */
const echo = async (request: Request): Promise<Response> => {
  const url = new URL(request.url);
  const type = request.headers.get("content-type") ?? "";
  let form: Record<string, string> | undefined;
  if (type.startsWith("multipart/form-data")) {
    form = {};
    for (const [k, v] of await request.formData()) {
      form[k] = typeof v === "string" ? v : `file:${v.name}:${await v.text()}`;
    }
  }
  return Response.json({
    method: request.method,
    path: url.pathname,
    query: [...url.searchParams],
    headers: Object.fromEntries(request.headers),
    body: form ?? (request.body === null ? null : await request.text()),
  });
};

const json = (text: string) => JSON.parse(text);

test("cli: a GET whose output is piped prints the raw body only, exits 0, says nothing on stderr", () =>
  withServer(() => new Response("hello\nworld"), async (server) => {
    const r = await runCli([`${server.url}/x`]);
    assert.deepEqual(r, { code: 0, stdout: "hello\nworld", stderr: "" });
  }));

test("cli: items make the query, headers and a JSON body; a body makes the method POST", () =>
  withServer(echo, async (server) => {
    const r = await runCli([
      `${server.url}/users`,
      "q==a b",
      "q==2",
      "X-Trace:abc",
      "name=Ada",
      "age:=36",
      "admin:=true",
      "tags[]=x",
      "tags[]=y",
      "address[city]=London",
      "a\\=b=escaped",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const got = json(r.stdout);
    assert.equal(got.method, "POST");
    assert.deepEqual(got.query, [["q", "a b"], ["q", "2"]]);
    assert.equal(got.headers["x-trace"], "abc");
    assert.equal(got.headers["content-type"], "application/json");
    assert.equal(got.headers.accept, "application/json, */*;q=0.5");
    assert.equal(got.headers["user-agent"], `switchyard/${VERSION}`);
    assert.deepEqual(json(got.body), {
      name: "Ada",
      age: 36,
      admin: true,
      tags: ["x", "y"],
      address: { city: "London" },
      "a=b": "escaped",
    });
  }));

test("cli: an explicit method in any case, Header: removes a default header, Header; sends it empty", () =>
  withServer(echo, async (server) => {
    const r = await runCli(["put", server.url, "User-Agent:", "X-Empty;"]);
    const got = json(r.stdout);
    assert.equal(got.method, "PUT");
    assert.equal(got.headers["user-agent"] === `switchyard/${VERSION}`, false);
    assert.equal(got.headers["x-empty"], "");
  }));

test("cli: --form sends urlencoded fields; a field@file makes it multipart; =@ and :=@ read files", () =>
  withScratch((dir) =>
    withServer(echo, async (server) => {
      const file = writeFile(dir, "note.txt", "file body");
      const data = writeFile(dir, "data.json", '{"deep":[1,2]}');
      const form = json((await runCli(["-f", server.url, "a=1", "b=two words"])).stdout);
      assert.equal(form.headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8");
      assert.equal(form.body, "a=1&b=two+words");
      const upload = json((await runCli(["-f", server.url, "a=1", `doc@${file}`])).stdout);
      assert.match(upload.headers["content-type"], /^multipart\/form-data; boundary=/);
      assert.deepEqual(upload.body, { a: "1", doc: "file:note.txt:file body" });
      const fromFiles = json((await runCli([server.url, `text=@${file}`, `data:=@${data}`])).stdout);
      assert.deepEqual(json(fromFiles.body), { text: "file body", data: { deep: [1, 2] } });
    })
  ));

test("cli: --raw sends text, a file or stdin as the body; stdin is not read otherwise", () =>
  withScratch((dir) =>
    withServer(echo, async (server) => {
      const file = writeFile(dir, "body.bin", "from a file");
      assert.equal(json((await runCli([server.url, "--raw", "plain text"])).stdout).body, "plain text");
      assert.equal(json((await runCli([server.url, "--raw", `@${file}`])).stdout).body, "from a file");
      const piped = json((await runCli([server.url, "--raw", "@-", "--json"], { stdin: '{"in":1}' })).stdout);
      assert.deepEqual([piped.body, piped.headers["content-type"]], ['{"in":1}', "application/json"]);
      const ignored = json((await runCli([server.url], { stdin: "not read" })).stdout);
      assert.deepEqual([ignored.method, ignored.body], ["GET", null]);
    })
  ));

test("cli: --offline prints the request (HB) and sends nothing; credentials are redacted", () => {
  let hits = 0;
  return withServer(() => (hits++, new Response("no")), async (server) => {
    const r = await runCli(["--offline", `${server.url}/p?token=s3cr3t&page=2`, "name=Ada", "-a", "ada:pw"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(hits, 0);
    const [head, body] = r.stdout.split("\n\n");
    assert.match(head!, /^POST \/p\?token=\[redacted\]&page=2\nhost: 127\.0\.0\.1:\d+\n/);
    assert.match(head!, /\nauthorization: Basic \[redacted\]\n/);
    assert.equal(body, '{"name":"Ada"}\n');
    assert.doesNotMatch(r.stdout, /s3cr3t|YWRhOnB3/); // neither the query secret nor base64("ada:pw")
  });
});

test("cli: -v prints the whole exchange (credentials redacted); -vv adds meta; --print picks sections", () =>
  withServer(() => Response.json({ ok: true }, { headers: { "set-cookie": "sid=abc" } }), async (server) => {
    const v = await runCli(["-v", server.url, "Authorization:Bearer tok123", "Cookie:a=b"]);
    const sections = v.stdout.split("\n\n");
    assert.match(sections[0]!, /^GET \/\nhost: .*\n(.*\n)*authorization: Bearer \[redacted\]/);
    assert.match(sections[0]!, /\ncookie: \[redacted\]/);
    assert.match(sections[1]!, /^HTTP\/1\.1 200 OK\n(.*\n)*set-cookie: \[redacted\]/);
    assert.equal(sections[2], '{"ok":true}');
    assert.doesNotMatch(v.stdout, /tok123|sid=abc|a=b/);
    const vv = await runCli(["-vv", server.url]);
    assert.match(vv.stdout, /\nelapsed: \d+\.\d ms\nmount: \(none\) \(default transport\)\ntransport: http\n$/);
    const h = await runCli(["--print", "h", server.url]);
    assert.match(h.stdout, /^HTTP\/1\.1 200 OK\n(.*\n)*content-type: application\/json/);
    assert.doesNotMatch(h.stdout, /"ok"/);
    assert.equal((await runCli(["-q", server.url])).stdout, "");
  }));

test("cli: FORCE_COLOR colours piped output; NO_COLOR wins over it; --pretty=format indents without colour", () =>
  withServer(() => Response.json({ a: 1, s: "x" }), async (server) => {
    const forced = await runCli([server.url], { env: { FORCE_COLOR: "1" } });
    assert.equal(forced.stdout, '{\x1b[1;34m"a"\x1b[0m:\x1b[33m1\x1b[0m,\x1b[1;34m"s"\x1b[0m:\x1b[32m"x"\x1b[0m}');
    const both = await runCli([server.url], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    assert.equal(both.stdout, '{"a":1,"s":"x"}');
    const formatted = await runCli(["--pretty", "format", server.url]);
    assert.equal(formatted.stdout, '{\n    "a": 1,\n    "s": "x"\n}\n');
  }));

test("cli: --version and --help; the version is package.json's and deno.json's", async () => {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const deno = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8"));
  assert.deepEqual([VERSION, VERSION], [pkg.version, deno.version]);
  assert.deepEqual(await runCli(["--version"]), { code: 0, stdout: `switchyard ${VERSION}\n`, stderr: "" });
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^switchyard .*\n\nUsage: switchyard \[METHOD\] URL \[ITEMS\.\.\.\] \[OPTIONS\]/);
  assert.match(help.stdout, /--mount KEY=TARGET/);
  assert.match(help.stdout, /\n {2}10 {4}invalid input/);
});
