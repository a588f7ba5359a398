import assert from "node:assert/strict";
import { Effect } from "effect";
import { Client, HandlerTransport, MockTransport } from "../mod.ts";
import { serve } from "./fixtures/server.ts";
import { test } from "./harness.ts";

test("e2e: one client, a real loopback server, an in-process app and a mock, chosen by mounts", async () => {
  const server = serve((request) => new Response(`net ${new URL(request.url).pathname}`));
  try {
    const mock = MockTransport.make(() => new Response("mocked"));
    await using client = Client.make({
      trustEnv: false,
      mounts: {
        "http://app.internal": HandlerTransport.make((r) => new Response(`app ${new URL(r.url).pathname}`)),
        "all://*.mock.test": mock,
        [`http://127.0.0.1:${server.port}`]: null, // the default (network) transport
      },
    });
    assert.equal(await (await client.fetch(`${server.url}/a`)).text(), "net /a");
    assert.equal(await (await client.fetch("http://app.internal/b")).text(), "app /b");
    assert.equal(await (await client.fetch("https://api.mock.test/c")).text(), "mocked");
    const viaEffect = await Effect.runPromise(client.get(`${server.url}/d`));
    assert.equal(await viaEffect.text(), "net /d");
    assert.equal(mock.calls.length, 1);
  } finally {
    await server.close();
  }
});

test("e2e: a real server's redirect to another origin is followed across transports, without Authorization", async () => {
  let seenAuth: string | null = "unset";
  const server = serve((request) => {
    assert.equal(request.headers.get("authorization"), "Bearer token");
    return Response.redirect("http://app.internal/landed", 302);
  });
  try {
    await using client = Client.make({
      trustEnv: false,
      mounts: {
        "http://app.internal": HandlerTransport.make((r) => {
          seenAuth = r.headers.get("authorization");
          return new Response(`landed at ${new URL(r.url).pathname}`);
        }),
      },
    });
    const response = await client.fetch(`${server.url}/start`, { headers: { authorization: "Bearer token" } });
    assert.equal(await response.text(), "landed at /landed");
    assert.equal(response.redirected, true);
    assert.equal(seenAuth, null);
  } finally {
    await server.close();
  }
});

test("e2e: client.explain says which mount wins and why", async () => {
  const mock = MockTransport.make(() => new Response("m"));
  await using client = Client.make({
    transport: MockTransport.make(() => new Response("default")),
    mounts: { "all://*.internal": mock, "all://": null, "all://*:8443": mock },
  });
  const explained = client.explain("http://db.internal/x");
  assert.equal(explained.key, "all://*.internal");
  assert.equal(explained.transport, mock);
  assert.match(explained.reason, /"all:\/\/\*\.internal" wins over "all:\/\/": its host is longer/);
  assert.equal(client.explain("https://db.internal:8443/").key, "all://*:8443");
  assert.equal(client.explain("https://other.test/").fallback, true);
});
