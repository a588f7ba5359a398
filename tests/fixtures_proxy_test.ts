/**
 * Self-tests for the forward proxy fixture (tests/fixtures/proxy.ts): it is
 * driven with the runtime's own fetch, so the transport's tests can trust it.
 */
import assert from "node:assert/strict";
import { runtimeName, test } from "./harness.ts";
import { refusedPort } from "./fixtures/faults.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { withServer } from "./fixtures/server.ts";
import { makeCertificates, startTlsServer } from "./fixtures/tls.ts";
import { echoHandler, fetchWith, g, rawExchange, rejectsWith } from "./fixtures_helpers.ts";

test("proxy: forwards an absolute-form GET and records it", async () => {
  const proxy = await startProxy();
  try {
    await withServer(echoHandler, async (origin) => {
      const r = await fetchWith(`${origin.url}/a/b?c=1`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(r.status, 200);
      assert.equal(r.body, "GET /a/b?c=1 ");
      assert.equal(r.headers.get("x-host"), `127.0.0.1:${origin.port}`);
      assert.equal(proxy.requests.length, 1);
      assert.equal(proxy.requests[0].method, "GET");
      assert.equal(proxy.requests[0].target, `${origin.url}/a/b?c=1`);
      assert.equal(proxy.requests[0].proxyAuthorization, undefined);
    });
  } finally {
    await proxy.close();
  }
});

test("proxy: forwards a POST body and streams the response back", async () => {
  const proxy = await startProxy();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const handler = async (request: Request): Promise<Response> => {
    if (request.method === "POST") return await echoHandler(request);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode("first;"));
        await released; // only sent once the client has seen the first chunk through the proxy
        controller.enqueue(new TextEncoder().encode("second"));
        controller.close();
      },
    });
    return new Response(body);
  };
  try {
    await withServer(handler, async (origin) => {
      const post = await fetchWith(`${origin.url}/p`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
        init: { method: "POST", body: "payload" },
      });
      assert.equal(post.body, "POST /p payload");

      const run = async (init: RequestInit) => {
        const response = await fetch(`${origin.url}/stream`, init);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = decoder.decode((await reader.read()).value);
        assert.equal(text, "first;");
        release();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
          text += decoder.decode(chunk.value);
        }
        assert.equal(text, "first;second");
      };
      if (g.Deno && runtimeName === "deno") {
        const client = g.Deno.createHttpClient({ proxy: { url: proxy.url } });
        try {
          await run({ client } as RequestInit);
        } finally {
          client.close();
        }
      } else await run({ proxy: proxy.url } as RequestInit);
    });
  } finally {
    await proxy.close();
  }
});

test("proxy: tunnels CONNECT to a local TLS server", async () => {
  const proxy = await startProxy();
  const tls = await startTlsServer(() => new Response("secret"));
  try {
    const { ca } = makeCertificates();
    const r = await fetchWith(`${tls.url}/s`, {
      deno: { proxy: { url: proxy.url }, caCerts: [ca] },
      bun: { proxy: proxy.url, tls: { ca } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body, "secret");
    assert.equal(proxy.requests[0].method, "CONNECT");
    assert.equal(proxy.requests[0].target, `localhost:${tls.port}`);
  } finally {
    await tls.close();
    await proxy.close();
  }
});

test("proxy: with auth, 407 without credentials and forwarding with them (both forms)", async () => {
  const auth = { username: "user", password: "p@ss" };
  const proxy = await startProxy({ auth });
  const tls = await startTlsServer(() => new Response("secret"));
  const { ca } = makeCertificates();
  const withCreds = `http://user:p%40ss@127.0.0.1:${proxy.port}`;
  try {
    await withServer(echoHandler, async (origin) => {
      const denied = await fetchWith(`${origin.url}/x`, {
        deno: { proxy: { url: proxy.url } },
        bun: { proxy: proxy.url },
      });
      assert.equal(denied.status, 407);
      const ok = await fetchWith(`${origin.url}/x`, {
        deno: { proxy: { url: proxy.url, basicAuth: auth } },
        bun: { proxy: withCreds },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body, "GET /x ");
      assert.equal(proxy.requests.at(-1)!.proxyAuthorization, `Basic ${btoa("user:p@ss")}`);
    });
    await rejectsWith(
      fetchWith(`${tls.url}/s`, {
        deno: { proxy: { url: proxy.url }, caCerts: [ca] },
        bun: { proxy: proxy.url, tls: { ca } },
      }),
      /407|proxy|tunnel|auth/i,
    );
    assert.equal(proxy.requests.at(-1)!.method, "CONNECT");
    const tunnelled = await fetchWith(`${tls.url}/s`, {
      deno: { proxy: { url: proxy.url, basicAuth: auth }, caCerts: [ca] },
      bun: { proxy: withCreds, tls: { ca } },
    });
    assert.equal(tunnelled.body, "secret");
  } finally {
    await tls.close();
    await proxy.close();
  }
});

test("proxy: refuseConnect answers CONNECT with 403; non-local targets get 403", async () => {
  const proxy = await startProxy({ refuseConnect: true });
  const tls = await startTlsServer(() => new Response("secret"));
  const { ca } = makeCertificates();
  try {
    await rejectsWith(
      fetchWith(`${tls.url}/s`, {
        deno: { proxy: { url: proxy.url }, caCerts: [ca] },
        bun: { proxy: proxy.url, tls: { ca } },
      }),
      /./,
    );
    assert.equal(tls.connections, 0);
    const connect = await rawExchange(proxy.port, "CONNECT localhost:1 HTTP/1.1\r\nHost: localhost:1\r\n\r\n");
    assert.match(connect, /^HTTP\/1\.1 403 /);
  } finally {
    await tls.close();
    await proxy.close();
  }
  const open = await startProxy();
  const nothing = await refusedPort();
  try {
    const bad = await fetchWith(`${nothing.url}/`, { deno: { proxy: { url: open.url } }, bun: { proxy: open.url } });
    assert.equal(bad.status, 502);
    const get = await rawExchange(open.port, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert.match(get, /^HTTP\/1\.1 403 /);
    const connect = await rawExchange(open.port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert.match(connect, /^HTTP\/1\.1 403 /);
    const v6 = await rawExchange(open.port, "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n");
    assert.match(v6, /^HTTP\/1\.1 403 /);
    assert.deepEqual(open.requests.map((r) => r.target), [
      `${nothing.url}/`,
      "http://example.com/",
      "example.com:443",
      "[::1]:443",
    ]);
  } finally {
    await open.close();
  }
});
