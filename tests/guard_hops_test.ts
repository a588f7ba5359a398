/**
 * `guard()` on every redirect hop, and the pinned connection: a real
 * redirect from an allowed server to a private address (every spelling, and
 * a name resolving to one) is refused before the hop is sent; on Bun the
 * connection goes to the address the guard checked (the name only the
 * guard's resolver knows still connects, with the name in `Host` and as the
 * TLS server name); on Deno it cannot be pinned (the transport resolves the
 * name again), which the docs say.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { BlockedAddress, ConnectError } from "../core/errors.ts";
import { Client } from "../client/client.ts";
import { guard } from "../plugins/guard.ts";
import { HttpTransport, type HttpTransportOptions } from "../transports/http/mod.ts";
import { serve } from "./fixtures/server.ts";
import { makeCertificates } from "./fixtures/tls.ts";
import { testOn } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const PINNED = "pinned.switchyard.test"; // in the fixture certificate's SANs; no resolver knows it

/** A loopback server that redirects `/go?to=<url>` and records what reached it. */
const redirecting = () => {
  const seen: string[] = [];
  const server = serve((request) => {
    const url = new URL(request.url);
    seen.push(`${url.pathname} host=${request.headers.get("host")}`);
    const to = url.searchParams.get("to");
    return to ? new Response(null, { status: 302, headers: { location: to } }) : new Response("landed");
  });
  return { server, seen };
};

const guarded = (allow: ReadonlyArray<string>, http: HttpTransportOptions = {}) =>
  Client.make({
    transport: HttpTransport.make({ trustEnv: false, ...http }),
    plugins: [guard({ allow, resolve: (name) => Promise.resolve(name.endsWith(".test") ? ["127.0.0.1"] : []) })],
  });

bothLanes(
  "guard: a redirect to a private address is refused before the hop is sent, in every spelling",
  async (lanes) => {
    const a = redirecting();
    const b = redirecting();
    const pb = b.server.port;
    await using client = guarded([`http://127.0.0.1:${a.server.port}`]);
    try {
      const targets = [
        `http://127.0.0.1:${pb}/`,
        `http://0x7f.1:${pb}/`,
        `http://2130706433:${pb}/`,
        `http://[::ffff:127.0.0.1]:${pb}/`,
        `http://localhost:${pb}/`,
        `http://evil.test:${pb}/`, // a name that resolves to loopback
        "http://169.254.169.254/latest/meta-data/",
      ];
      for (const to of targets) {
        const url = `http://127.0.0.1:${a.server.port}/go?to=${encodeURIComponent(to)}`;
        const error = await lanes.call(client, url).then(() => undefined, (e) => e);
        assert.ok(error instanceof BlockedAddress, `${to}: ${error}`);
        assert.equal(new URL(error.url).pathname, new URL(to).pathname, "the refused hop is named");
      }
      assert.equal(a.seen.length, targets.length, "every first hop was sent");
      assert.deepEqual(b.seen, [], "no redirect reached the private server");
      // The control: an allowed hop is followed.
      const ok = await lanes.call(client, `http://127.0.0.1:${a.server.port}/go?to=%2Flanded`);
      assert.equal(await ok.text(), "landed");
      assert.ok(ok.redirected);
    } finally {
      await a.server.close();
      await b.server.close();
    }
  },
);

testOn("bun", "runtime-lacks-feature", "guard: on Bun the connection is pinned to the checked address", async () => {
  const a = redirecting();
  await using client = guarded([`http://127.0.0.1:${a.server.port}`]);
  try {
    // Only the guard's resolver knows the name: the request connects because it goes to the checked address.
    const response = await client.fetch(`http://${PINNED}:${a.server.port}/x`);
    assert.equal(await response.text(), "landed");
    assert.equal(response.url, `http://${PINNED}:${a.server.port}/x`, "the response keeps the request's URL");
    assert.deepEqual(a.seen, [`/x host=${PINNED}:${a.server.port}`], "the name travels in Host");
  } finally {
    await a.server.close();
  }
});

testOn(
  "deno",
  "runtime-lacks-feature",
  "guard: on Deno the connection is not pinned (no TLS server-name override)",
  async () => {
    const a = redirecting();
    await using client = guarded([`http://127.0.0.1:${a.server.port}`]);
    try {
      // The guard approved the name, but Deno's fetch resolves it again, and the system resolver does not know it.
      const error = await client.fetch(`http://${PINNED}:${a.server.port}/x`).then(() => undefined, (e) => e);
      assert.ok(error instanceof ConnectError, String(error));
      assert.match(error.detail, /DNS/);
      assert.deepEqual(a.seen, []);
    } finally {
      await a.server.close();
    }
  },
);

testOn(
  "bun",
  "runtime-lacks-feature",
  "guard: a retry keeps the pin (it connects where the first try was checked)",
  async () => {
    const closed = serve(() => new Response("never"));
    const port = closed.port;
    await closed.close();
    await using client = guarded([`http://127.0.0.1:${port}`], { retries: 1 });
    const error = await client.fetch(`http://${PINNED}:${port}/`).then(() => undefined, (e) => e);
    assert.ok(error instanceof ConnectError, String(error));
    assert.doesNotMatch(error.detail, /DNS/, "an unpinned retry would have looked the name up and failed on DNS");
    assert.match(error.detail, /ECONNREFUSED|ConnectionRefused/);
  },
);

/** An HTTPS server with the fixture certificate that reports the SNI and Host it received. */
const startSniServer = async () => {
  const certs = makeCertificates();
  const server = https.createServer({ cert: certs.serverCert, key: certs.serverKey }, (req, res) => {
    res.end(
      JSON.stringify({ sni: (req.socket as unknown as { servername?: string }).servername, host: req.headers.host }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

testOn(
  "bun",
  "runtime-lacks-feature",
  "guard: over TLS the pinned connection verifies the name, not the IP",
  async () => {
    const server = await startSniServer();
    await using client = guarded([`all://127.0.0.1`], { tls: { caCerts: [makeCertificates().ca] } });
    try {
      const response = await client.fetch(`https://${PINNED}:${server.port}/`);
      assert.deepEqual(await response.json(), { sni: PINNED, host: `${PINNED}:${server.port}` });
      // 127.0.0.1 is in the certificate too: only a check against the name refuses a name the certificate lacks.
      const error = await client.fetch(`https://wrong.switchyard.test:${server.port}/`).then(() => undefined, (e) => e);
      assert.ok(error instanceof ConnectError, String(error));
      assert.match(error.detail, /certificate verification failed/);
    } finally {
      await server.close();
    }
  },
);
