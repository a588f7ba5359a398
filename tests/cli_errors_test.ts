/**
 * The command's exit codes (cli/exit_codes.ts), one per outcome, as a
 * process against real servers: statuses with --check-status, and each
 * error class with its typed message on stderr.
 */
import assert from "node:assert/strict";
import { runCli } from "./fixtures/cli.ts";
import { delayedStart, refusedPort, startFaultServer } from "./fixtures/faults.ts";
import { withServer } from "./fixtures/server.ts";
import { startTlsServer } from "./fixtures/tls.ts";
import { runtimeName, test } from "./harness.ts";

const byStatus = (request: Request) => {
  const status = Number(new URL(request.url).pathname.slice(1));
  return new Response(`status ${status}`, { status, headers: status < 400 ? { location: "/200" } : {} });
};

test("cli: any status exits 0 without --check-status", () =>
  withServer(byStatus, async (server) => assert.equal((await runCli([`${server.url}/404`])).code, 0)));

for (const [status, code] of [[200, 0], [302, 3], [404, 4], [503, 5]]) {
  test(`cli: --check-status exits ${code} for a ${status}`, () =>
    withServer(byStatus, async (server) => {
      const r = await runCli(["--check-status", `${server.url}/${status}`]);
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.stdout, `status ${status}`);
      if (code !== 0) assert.match(r.stderr, new RegExp(`^switchyard: warning: HTTP ${status} [A-Z]`));
    }));
}

test("cli: --check-status with --follow judges the final response", () =>
  withServer(byStatus, async (server) => {
    assert.equal((await runCli(["--check-status", "--follow", `${server.url}/302`])).code, 0, "followed to the 200");
  }));

test("cli: a refused connection exits 7 with the ConnectError's message on stderr", async () => {
  const dead = await refusedPort();
  const r = await runCli([dead.url]);
  assert.equal(r.code, 7);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^switchyard: ConnectError: .*GET http:\/\/127\.0\.0\.1:\d+\/.*\n$/);
});

test("cli: --timeout (seconds) exits 2 with the timeout's class", async () => {
  const stall = await startFaultServer("stallHeaders");
  try {
    const r = await runCli(["--timeout", "0.3", stall.url]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^switchyard: ReadTimeout: /);
  } finally {
    await stall.close();
  }
});

test("cli: more redirects than --max-redirects exits 6 (TooManyRedirects)", () =>
  withServer((request) => Response.redirect(new URL("/again", request.url), 302), async (server) => {
    const r = await runCli(["--follow", "--max-redirects", "2", server.url]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /^switchyard: TooManyRedirects: /);
  }));

test("cli: an unreachable proxy exits 9 (ProxyError), its credentials never printed", () =>
  withServer(() => new Response("unreachable"), async (server) => {
    const dead = await refusedPort();
    const r = await runCli(["--proxy", `http://user:hunter2@127.0.0.1:${dead.port}`, server.url]);
    assert.equal(r.code, 9, r.stderr);
    assert.match(r.stderr, /^switchyard: ProxyError: /);
    assert.doesNotMatch(r.stderr, /hunter2/);
  }));

test("cli: a certificate that does not verify exits 8; --insecure accepts it on Bun and is a typed refusal on Deno", async () => {
  const server = await startTlsServer(() => new Response("secret page"));
  try {
    const r = await runCli([server.url]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /^switchyard: ConnectError: .*TLS certificate verification failed/);
    const insecure = await runCli(["--insecure", server.url]);
    if (runtimeName === "bun") assert.deepEqual([insecure.code, insecure.stdout], [0, "secret page"]);
    else {
      assert.equal(insecure.code, 10);
      assert.match(
        insecure.stderr,
        /^switchyard: InvalidOptions: Option `--insecure \(tls\.dangerouslyIgnoreCertificateErrors\)` is not supported on deno: .*--unsafely-ignore-certificate-errors/,
      );
    }
  } finally {
    await server.close();
  }
});

const BAD_INPUT: Array<[ReadonlyArray<string>, RegExp]> = [
  [["http://x.test/", "n:=nope"], /InvalidOptions: Invalid option `request item`: got "n:=nope"; expected valid JSON/],
  [["--nope", "x.test"], /InvalidOptions: Invalid option `--nope`: got an unknown option/],
  [["--timeout", "soon", "x.test"], /Invalid option `--timeout`: got "soon"; expected a positive number of seconds/],
  [["http://[bad/"], /InvalidUrl: .*not a URL/],
  [["-A", "digest", "x.test"], /`--auth`: got nothing; expected user:password, with -A digest/],
  [["x.test", "X-Bad:a\rb"], /`request item`: got a value with CR, LF or NUL for "X-Bad"/],
  [["x.test", "doc@/no/such/file", "-f"], /`request item doc@\/no\/such\/file`: got "\/no\/such\/file" \(ENOENT\)/],
  [["GET", "x.test", "a=1"], /`method`: got GET with a body/],
  [["--mount", "all://x=ftp://y", "x.test"], /`--mount`: got "all:\/\/x=ftp:\/\/y"; expected KEY=TARGET/],
  [["--mount", "nokey", "x.test"], /`--mount`: got "nokey"/],
  [["-a", "ada", "x.test"], /`--auth`: got "ada" without a password; expected user:password/],
  [["ftp://x.test/"], /UnsupportedProtocol: /],
];

for (const [args, pattern] of BAD_INPUT) {
  test(`cli: bad input exits 10 with a typed message: ${JSON.stringify(args.join(" "))}`, async () => {
    const r = await runCli(args);
    assert.equal(r.code, 10, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, "");
  });
}

test("cli: a message never carries the password of -a user:pass or of the URL", async () => {
  const dead = await refusedPort();
  const r = await runCli(["-v", `http://ada:pa55word@127.0.0.1:${dead.port}/`, "-a", "bob:hunter2"]);
  assert.equal(r.code, 7);
  assert.doesNotMatch(r.stdout + r.stderr, /pa55word|hunter2|Ym9iOmh1bnRlcjI/);
});

test("cli: --retries retries a refused connect until the server is up (without it: exit 7)", async () => {
  const late = await delayedStart(1_500);
  try {
    assert.equal((await runCli([late.url])).code, 7, "not listening yet");
    const r = await runCli(["--retries", "5", late.url]); // 0, 0.5, 1, 2, 4 s apart (jittered)
    assert.deepEqual([r.code, r.stdout], [0, "ok"], r.stderr);
  } finally {
    await late.close();
  }
});

test("cli: a refusal from the transport names the flag the user typed (--local-address garbage); --http2 is taken", async () => {
  const bad = await runCli(["--local-address", "not-an-ip", "http://127.0.0.1:1/"]);
  assert.equal(bad.code, 10, bad.stderr);
  assert.match(bad.stderr, /`--local-address \(localAddress\)`/);
  // HTTP/2 with negotiation works on both runtimes now (Bun through its node:http2 engine): a refused port is
  // then a connect failure, not a refused option.
  const refused = await refusedPort();
  try {
    const h2 = await runCli(["--http2", `https://127.0.0.1:${refused.port}/`]);
    assert.equal(h2.code, 7, h2.stderr);
  } finally {
    await refused.close();
  }
});
