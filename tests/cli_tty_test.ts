/**
 * The command on a real (pseudo-)terminal, through util-linux `script`:
 * HTTPie's terminal rules (response head and body, JSON indented and
 * coloured), NO_COLOR, binary bodies kept off the screen, and the download
 * progress bar.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { hasPty, runInTerminal, withScratch } from "./fixtures/cli.ts";
import { withServer } from "./fixtures/server.ts";
import { testIf } from "./harness.ts";

const ESC = "\x1b[";

testIf(
  hasPty,
  "no-pty",
  "cli on a terminal: status line and headers coloured, JSON indented by 4 and coloured",
  () =>
    withServer(() => Response.json({ id: 1, name: "Ada", admin: false }), async (server) => {
      const r = await runInTerminal([`${server.url}/users/1`]);
      assert.equal(r.code, 0, r.stdout);
      assert.match(r.stdout, new RegExp(`^\\x1b\\[1;32mHTTP/1\\.1 200 OK\\x1b\\[0m\n`));
      assert.match(r.stdout, new RegExp(`\n\\x1b\\[36mcontent-type\\x1b\\[0m: application/json`));
      assert.ok(
        r.stdout.endsWith(
          `\n\n{\n    ${ESC}1;34m"id"${ESC}0m: ${ESC}33m1${ESC}0m,\n    ${ESC}1;34m"name"${ESC}0m: ${ESC}32m"Ada"${ESC}0m,\n` +
            `    ${ESC}1;34m"admin"${ESC}0m: ${ESC}35mfalse${ESC}0m\n}\n`,
        ),
        JSON.stringify(r.stdout),
      );
    }),
);

testIf(
  hasPty,
  "no-pty",
  "cli on a terminal with NO_COLOR: still formatted, no escape codes",
  () =>
    withServer(() => Response.json({ id: 1 }), async (server) => {
      const r = await runInTerminal([server.url], { NO_COLOR: "1" });
      assert.equal(r.stdout.includes("\x1b"), false);
      assert.match(r.stdout, /^HTTP\/1\.1 200 OK\n(.*\n)*\n\{\n {4}"id": 1\n\}\n$/);
    }),
);

testIf(
  hasPty,
  "no-pty",
  "cli on a terminal: a binary body is not written to the screen",
  () =>
    withServer(
      () => new Response(new Uint8Array([0, 1, 2, 255]), { headers: { "content-type": "image/png" } }),
      async (s) => {
        const r = await runInTerminal(["-b", s.url], { NO_COLOR: "1" });
        assert.equal(r.stdout, "[binary data not shown: 4 bytes; use --download FILE, or pipe the output]\n");
      },
    ),
);

/**
 * Serves 10 chunks of 10 KiB, 80 ms apart, with a Content-Length, on
 * node:http (Bun.serve replaces the length of a slow stream with chunked).
 */
const withSlowServer = async (fn: (url: string) => Promise<void>): Promise<void> => {
  const chunk = new Uint8Array(10 * 1024).fill(65);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = http.createServer((_, res) => {
    res.writeHead(200, { "content-length": String(10 * chunk.length), "content-type": "application/octet-stream" });
    let sent = 0;
    const next = () => {
      if (sent++ === 10) return void res.end();
      res.write(chunk);
      const timer = setTimeout(() => (timers.delete(timer), next()), 80);
      timers.add(timer);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
};

testIf(
  hasPty,
  "no-pty",
  "cli on a terminal: --download draws a progress bar (percent, bytes, rate, ETA) and a summary",
  () =>
    withScratch((dir) =>
      withSlowServer(async (url) => {
        const file = join(dir, "out.bin");
        const r = await runInTerminal(["--download", file, url], { NO_COLOR: "1" });
        assert.equal(r.code, 0, r.stdout);
        assert.equal(readFileSync(file).length, 102_400);
        assert.match(r.stdout, /^HTTP\/1\.1 200 OK\n/);
        const frames = r.stdout.split("\r\x1b[K").slice(1);
        assert.ok(frames.length >= 2, JSON.stringify(r.stdout));
        for (const frame of frames.slice(0, -1)) {
          assert.match(
            frame,
            /^[█░]{24} +\d+% {2}[\d.]+ (B|KiB) \/ 100\.0 KiB {2}[\d.]+ (B|KiB|MiB)\/s {2}ETA \d:\d\d$/,
          );
        }
        assert.match(
          frames.at(-1)!,
          /^█{24} 100% {2}100\.0 KiB \/ 100\.0 KiB {2}.*\nDone\. 100\.0 KiB in \d+\.\d\d s \(.*\/s\)\n$/,
        );
      })
    ),
);
