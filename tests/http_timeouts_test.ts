/**
 * Timeouts by phase, on both runtimes (docs/runtimes.md, "Errors"): connect+read
 * before the headers, read between body chunks, the total deadline; the pool
 * limit (PoolTimeout, and the slot freed by reading or cancelling a body).
 */
import assert from "node:assert/strict";
import net from "node:net";
import { PoolTimeout, ReadTimeout } from "../core/errors.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bodyFailure, failure, withFault } from "./http_errors_helpers.ts";
import { run } from "./http_helpers.ts";

test("errors: no response headers within connect+read is ReadTimeout (fetch cannot tell connect from read)", () =>
  withFault("stallHeaders", { timeout: { connect: 100, read: 200 } }, async (t, server) => {
    const started = Date.now();
    const error = await failure(t, new Request(server.url));
    const elapsed = Date.now() - started;
    assert.ok(error instanceof ReadTimeout, String(error));
    assert.ok(elapsed >= 290, `fired after ${elapsed} ms, before connect + read`);
    assert.equal(server.connections, 1);
  }));

test("errors: a body that stalls reaches text() as ReadTimeout", () =>
  withFault("stallBody", { timeout: { read: 200 } }, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    assert.equal(response.status, 200);
    const error = await bodyFailure(response, ReadTimeout);
    assert.match(error.detail, /200 ms/);
  }));

test("errors: a body that stalls reaches a body reader as ReadTimeout, after the bytes that came", () =>
  withFault("stallBody", { timeout: { read: 200 } }, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    const reader = response.body!.getReader();
    let got = "";
    let caught: unknown;
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) got += new TextDecoder().decode(r.value);
    } catch (error) {
      caught = error;
    }
    assert.equal(got, "0123456789");
    assert.ok(caught instanceof ReadTimeout, `expected ReadTimeout, got ${caught}`);
  }));

test("errors: total covers the body: it expires mid-body as ReadTimeout", () =>
  withFault("stallBody", { timeout: { total: 250 } }, async (t, server) => {
    const response = await run(t.handle(new Request(server.url)));
    const error = await bodyFailure(response, ReadTimeout);
    assert.match(error.detail, /total deadline of 250 ms/);
  }));

test("errors: total before the headers is ReadTimeout", () =>
  withFault("stallHeaders", { timeout: { total: 200 } }, async (t, server) => {
    const error = await failure(t, new Request(server.url));
    assert.ok(error instanceof ReadTimeout, String(error));
    assert.match(error.detail, /total deadline of 200 ms/);
  }));

test("errors: a request waiting too long for a slot is PoolTimeout, and the slot frees when the body is read", () =>
  withServer(() => new Response("ok"), async (server) => {
    const t = HttpTransport.make({ limits: { maxConnections: 1 }, timeout: { pool: 150 } });
    try {
      const first = await run(t.handle(new Request(server.url)));
      const error = await failure(t, new Request(server.url));
      assert.ok(error instanceof PoolTimeout, String(error));
      assert.equal(await first.text(), "ok");
      const second = await run(t.handle(new Request(server.url)));
      assert.equal(await second.text(), "ok");
    } finally {
      await run(t.close());
    }
  }));

test("errors: a waiting request gets the slot as soon as the body before it is cancelled", () =>
  withServer(() => new Response("ok"), async (server) => {
    const t = HttpTransport.make({ limits: { maxConnections: 1 } });
    try {
      const first = await run(t.handle(new Request(server.url)));
      const waiting = run(t.handle(new Request(server.url)));
      let settled = false;
      void waiting.then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(settled, false, "the second request must wait for the slot");
      await first.body!.cancel();
      assert.equal(await (await waiting).text(), "ok");
    } finally {
      await run(t.close());
    }
  }));

/** A chunked response: `chunks` chunks `every` ms apart, then either the end or (`stall`) silence. */
const startTrickle = async (chunks: number, every: number, stall: boolean) => {
  const sockets = new Set<net.Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", () => {
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
      let sent = 0;
      const tick = () => {
        if (socket.destroyed) return;
        if (sent === chunks) return void (stall ? undefined : socket.end("0\r\n\r\n"));
        sent++;
        socket.write("1\r\nx\r\n");
        const t = setTimeout(() => (timers.delete(t), tick()), every);
        timers.add(t);
      };
      tick();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
};

test("errors: timeout.read is silence between chunks: a slow steady body outlives it", async () => {
  const server = await startTrickle(6, 80, false);
  const t = HttpTransport.make({ timeout: { read: 300 } });
  try {
    const started = Date.now();
    const response = await run(t.handle(new Request(server.url)));
    assert.equal(await response.text(), "xxxxxx");
    assert.ok(Date.now() - started >= 400, "the body took longer than timeout.read in total");
  } finally {
    await run(t.close());
    await server.close();
  }
});

test("errors: an unsized body that goes silent is ReadTimeout after timeout.read", async () => {
  const server = await startTrickle(2, 50, true);
  const t = HttpTransport.make({ timeout: { read: 250 } });
  try {
    const response = await run(t.handle(new Request(server.url)));
    const error = await bodyFailure(response, ReadTimeout);
    assert.match(error.detail, /no body data for 250 ms/);
  } finally {
    await run(t.close());
    await server.close();
  }
});
