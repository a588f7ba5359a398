/**
 * `netrc()`: Basic credentials from a netrc file, read only when asked,
 * looked up by host, and never shown in an error.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auth, Client, HandlerTransport, InvalidOptions, netrc } from "../mod.ts";
import { parseNetrc } from "../plugins/netrc.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const NETRC = `# credentials for the tests
machine api.test login ada password s3cret
machine quoted.test
  login "bob smith"
  password "pa ss \\"word\\""
  account ignored

macdef init
machine macro.test login evil password evil

machine 127.0.0.1 login local password loop#back
machine api.test login second password ignored
default login anon password guest
`;

const withNetrcFile = async (text: string, fn: (file: string) => void | Promise<void>) => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-netrc-"));
  const file = join(dir, "netrc");
  writeFileSync(file, text);
  try {
    await fn(file);
  } finally {
    rmSync(dir, { recursive: true });
  }
};

const basicOf = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

test("netrc: the grammar: comments, quotes and escapes, macdef bodies skipped, the first entry wins, default", () => {
  const { machines, fallback } = parseNetrc(NETRC, "netrc");
  assert.equal(machines.get("api.test"), basicOf("ada", "s3cret"), "the first entry for a machine wins");
  assert.equal(machines.get("quoted.test"), basicOf("bob smith", 'pa ss "word"'));
  assert.equal(machines.has("macro.test"), false, "a macro's body is not an entry");
  assert.equal(machines.get("127.0.0.1"), basicOf("local", "loop#back"), "# inside a word is not a comment");
  assert.equal(fallback, basicOf("anon", "guest"));
  assert.equal(parseNetrc("machine x login only\n", "f").machines.has("x"), false, "no password: no credential");
});

bothLanes(
  "netrc: looked up by host (not port) on a real server, default for the rest, only where a rule says",
  async ({ call }) => {
    await withNetrcFile(NETRC, async (file) => {
      await withServer((request) => new Response(request.headers.get("authorization") ?? "(none)"), async (server) => {
        await using client = Client.make({
          trustEnv: false,
          plugins: [auth({ "http://127.0.0.1": netrc({ file }), [`http://127.0.0.1:${server.port}/public`]: null })],
        });
        assert.equal(await (await call(client, `${server.url}/x`)).text(), basicOf("local", "loop#back"));
        assert.equal(await (await call(client, `${server.url}/public/y`)).text(), "(none)");
      });
      await using app = Client.make({
        transport: HandlerTransport.make((request) => new Response(request.headers.get("authorization") ?? "(none)")),
        plugins: [auth({ "https://": netrc({ file }) })],
      });
      assert.equal(await (await call(app, "https://api.test:8443/")).text(), basicOf("ada", "s3cret"));
      assert.equal(await (await call(app, "https://unknown.test/")).text(), basicOf("anon", "guest"), "default");
      assert.equal(await (await call(app, "http://api.test/")).text(), "(none)", "the rule says https only");
    });
  },
);

test("netrc: a missing or malformed file is an InvalidOptions at construction that never shows a password", async () => {
  const missing = (() => {
    try {
      netrc({ file: "/nonexistent/netrc" });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(missing instanceof InvalidOptions);
  assert.match(missing.message, /\/nonexistent\/netrc/);
  assert.match(missing.message, /ENOENT|NotFound/);
  await withNetrcFile("machine a.test login ada password hunter2 port 22\n", (file) => {
    const bad = (() => {
      try {
        netrc({ file });
      } catch (e) {
        return e;
      }
    })();
    assert.ok(bad instanceof InvalidOptions);
    assert.match(bad.message, /line 1 has an unknown word/);
    assert.doesNotMatch(bad.message, /hunter2/);
  });
  await withNetrcFile("machine a.test login ada password", (file) => {
    assert.throws(
      () => netrc({ file }),
      (e: unknown) => e instanceof InvalidOptions && /without a value/.test(e.message),
    );
  });
});
