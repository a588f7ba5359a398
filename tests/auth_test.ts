/**
 * `auth(rules)` with basic and bearer: per-origin rules on real loopback
 * servers, redirects across origins, token sources and their refresh, body
 * replay after a 401, and what must never happen (a credential sent to
 * another origin, a secret in a log record or an error message).
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { Effect } from "effect";
import {
  auth,
  basic,
  bearer,
  Client,
  ConnectError,
  CredentialsError,
  digest,
  HandlerTransport,
  InvalidOptions,
  logging,
  type LogRecord,
} from "../mod.ts";
import { serve, type TestServer, withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const echoAuth = (request: Request) => new Response(request.headers.get("authorization") ?? "(none)");

/** Two loopback servers: two origins (same host, two ports). */
const withTwoServers = async (
  a: (request: Request) => Response | Promise<Response>,
  b: (request: Request) => Response | Promise<Response>,
  fn: (a: TestServer, b: TestServer) => Promise<void>,
) => {
  const first = serve(a);
  const second = serve(b);
  try {
    await fn(first, second);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
};

bothLanes("auth: a rule's credential goes to its origin only; another port gets none", async ({ call }) => {
  await withTwoServers(echoAuth, echoAuth, async (a, b) => {
    await using client = Client.make({
      trustEnv: false,
      plugins: [auth({ [a.url]: bearer("tok_A"), [`http://127.0.0.1:${b.port}/admin`]: basic("root", "pw") })],
    });
    assert.equal(await (await call(client, `${a.url}/x`)).text(), "Bearer tok_A");
    assert.equal(await (await call(client, `${b.url}/x`)).text(), "(none)", "another origin: no rule, no header");
    assert.equal(await (await call(client, `${b.url}/admin/users`)).text(), "Basic cm9vdDpwdw==");
    assert.equal(
      await (await call(client, `${b.url}/administrator`)).text(),
      "(none)",
      "a path key is a segment prefix",
    );
  });
});

bothLanes("auth: a redirect to another origin carries no credential unless a rule matches there", async ({ call }) => {
  const seen: Array<string | null> = [];
  await withTwoServers(
    (request) => Response.redirect(new URL(request.url).searchParams.get("to")!, 302),
    (request) => {
      seen.push(request.headers.get("authorization"));
      return new Response("landed");
    },
    async (a, b) => {
      await using onlyA = Client.make({ trustEnv: false, plugins: [auth({ [a.url]: bearer("secret_A") })] });
      const response = await call(onlyA, `${a.url}/go?to=${encodeURIComponent(`${b.url}/landed`)}`);
      assert.equal(await response.text(), "landed");
      assert.equal(response.redirected, true);
      assert.deepEqual(seen, [null], "the credential for A never reaches B");

      // The caller's own Authorization is dropped by the client on the cross-origin hop, and the plugin
      // does not put A's back.
      seen.length = 0;
      await (await call(onlyA, `${a.url}/go?to=${encodeURIComponent(`${b.url}/x`)}`, {
        headers: { authorization: "Bearer callers" },
      })).text();
      assert.deepEqual(seen, [null]);

      seen.length = 0;
      await using both = Client.make({
        trustEnv: false,
        plugins: [auth({ [a.url]: bearer("secret_A"), [b.url]: bearer("secret_B") })],
      });
      await (await call(both, `${a.url}/go?to=${encodeURIComponent(`${b.url}/landed`)}`)).text();
      assert.deepEqual(seen, ["Bearer secret_B"], "B gets B's credential, never A's");
    },
  );
});

bothLanes(
  "auth: the most specific key wins; null exempts; a matching rule replaces the caller's header",
  async ({ call }) => {
    await using client = Client.make({
      transport: HandlerTransport.make(echoAuth),
      plugins: [
        auth({
          "all://*.internal": basic("svc", "pw"),
          "all://db.internal": bearer("db_token"),
          "all://public.internal": null,
          "all://10.0.0.0/8": bearer("cidr"),
        }),
      ],
    });
    assert.equal(await (await call(client, "http://api.internal/")).text(), "Basic c3ZjOnB3");
    assert.equal(await (await call(client, "http://db.internal/")).text(), "Bearer db_token");
    assert.equal(await (await call(client, "https://10.1.2.3/")).text(), "Bearer cidr");
    assert.equal(await (await call(client, "http://public.internal/")).text(), "(none)");
    const own = { headers: { authorization: "Bearer mine" } };
    assert.equal(await (await call(client, "http://public.internal/", own)).text(), "Bearer mine", "null: left alone");
    assert.equal(await (await call(client, "http://db.internal/", own)).text(), "Bearer db_token");
    assert.equal(
      await (await call(client, "http://elsewhere.test/", own)).text(),
      "Bearer mine",
      "no rule: left alone",
    );
  },
);

bothLanes(
  "bearer: a token function is called once for concurrent requests, and once more after a 401",
  async ({ call }) => {
    let valid = "t1";
    let calls = 0;
    let unauthorized = 0;
    const source = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return valid;
    };
    await withServer((request) => {
      if (request.headers.get("authorization") === `Bearer ${valid}`) return new Response("ok");
      unauthorized++;
      return new Response("no", { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    }, async (server) => {
      await using client = Client.make({ trustEnv: false, plugins: [auth({ [server.url]: bearer(source) })] });
      const batch = async () => {
        const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => call(client, `${server.url}/${i}`)));
        return Promise.all(responses.map(async (r) => `${r.status} ${await r.text()}`));
      };
      assert.deepEqual(new Set(await batch()), new Set(["200 ok"]));
      assert.equal(calls, 1, "sixteen requests, one fetch");
      valid = "t2"; // the server revokes t1
      assert.deepEqual(new Set(await batch()), new Set(["200 ok"]));
      assert.equal(calls, 2, "sixteen 401s, one refresh");
      assert.equal(unauthorized, 16);
      valid = "t3";
      unauthorized = 0;
      // A refresh that still does not satisfy the server: one retry per request, then the 401 is the caller's.
      const source2 = () => "never-valid";
      await using stubborn = Client.make({ trustEnv: false, plugins: [auth({ [server.url]: bearer(source2) })] });
      const response = await call(stubborn, `${server.url}/x`);
      assert.equal(response.status, 401);
      assert.equal(await response.text(), "no");
      assert.equal(unauthorized, 2, "the first attempt and one retry, no more");
    });
  },
);

bothLanes(
  "bearer: an Effect source; a failing source is a CredentialsError that never quotes its cause",
  async ({ call }) => {
    let runs = 0;
    const app = HandlerTransport.make(echoAuth);
    await using viaEffect = Client.make({
      transport: app,
      plugins: [auth({ "all://": bearer(Effect.sync(() => `eff_${++runs}`)) })],
    });
    assert.equal(await (await call(viaEffect, "http://x.test/")).text(), "Bearer eff_1");
    assert.equal(await (await call(viaEffect, "http://x.test/")).text(), "Bearer eff_1", "cached");

    let attempts = 0;
    const failing = () => {
      attempts++;
      throw new Error("token endpoint said: client_secret=hunter2 is wrong");
    };
    await using client = Client.make({ transport: app, plugins: [auth({ "all://": bearer(failing) })] });
    const error = await call(client, "http://x.test/a").catch((e) => e);
    assert.ok(error instanceof CredentialsError, String(error));
    assert.ok(error instanceof TypeError, "a transport error, so fetch-style code sees a TypeError");
    assert.doesNotMatch(error.message, /hunter2/);
    assert.match(error.message, /bearer token source failed.*never sent/);
    assert.match(String((error.cause as Error).message), /hunter2/, "the cause is kept for debugging");
    assert.doesNotMatch(JSON.stringify(error), /hunter2/);
    await call(client, "http://x.test/b").catch(() => {});
    assert.equal(attempts, 2, "a failure is not cached: the next request tries again");

    await using notAToken = Client.make({ transport: app, plugins: [auth({ "all://": bearer(() => "two words") })] });
    const bad = await call(notAToken, "http://x.test/").catch((e) => e);
    assert.ok(bad instanceof CredentialsError);
    assert.match(bad.message, /not a token/);
    assert.doesNotMatch(bad.message, /two words/);
  },
);

bothLanes("bearer: a body is re-sent after a 401 only from a complete copy within maxReplayBytes", async ({ call }) => {
  let valid = "t1";
  const bodies: string[] = [];
  await withServer(async (request) => {
    const body = await request.text();
    if (request.headers.get("authorization") !== `Bearer ${valid}`) return new Response(null, { status: 401 });
    bodies.push(body);
    return new Response(`got ${body.length}`);
  }, async (server) => {
    let n = 0;
    const source = () => (n++ === 0 ? "stale" : valid);
    await using client = Client.make({
      trustEnv: false,
      plugins: [auth({ [server.url]: bearer(source) }, { maxReplayBytes: 1000 })],
    });
    const small = await call(client, `${server.url}/upload`, { method: "POST", body: "x".repeat(600) });
    assert.equal(await small.text(), "got 600");
    assert.deepEqual(bodies, ["x".repeat(600)], "the body went again, whole");

    valid = "t2";
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("a".repeat(400)));
        controller.enqueue(new TextEncoder().encode("b".repeat(400)));
        controller.close();
      },
    });
    const streamed = await call(client, `${server.url}/upload`, {
      method: "PUT",
      body: stream,
      duplex: "half",
    } as RequestInit);
    assert.equal(await streamed.text(), "got 800", "a stream body within the limit is re-sent from its copy");

    valid = "t3";
    const large = await call(client, `${server.url}/upload`, { method: "POST", body: "y".repeat(5000) });
    assert.equal(large.status, 401, "over the limit: the caller gets the 401, no partial or empty re-send");
    await large.body?.cancel();
    assert.equal(bodies.length, 2);
  });
});

bothLanes("auth: no secret reaches a log record or an error message", async ({ call }) => {
  const records: LogRecord[] = [];
  const closed = serve(() => new Response("never"));
  const url = closed.url;
  await closed.close(); // nothing listens there now: the request fails to connect
  await using client = Client.make({
    trustEnv: false,
    plugins: [
      logging({ log: (r) => void records.push(r) }),
      auth({ "all://127.0.0.1": basic("ada", "hunter2-basic") }),
      logging({ log: (r) => void records.push(r) }), // inside auth: sees the header set
    ],
  });
  const error = await call(client, `${url}/private?token=hunter2-query`).catch((e) => e);
  assert.ok(error instanceof ConnectError, String(error));
  const secret = /hunter2|YWRhOmh1bnRlcjItYmFzaWM/; // the password, or its base64
  assert.doesNotMatch(error.message, secret);
  assert.doesNotMatch(JSON.stringify(error), secret);
  assert.equal(records.length, 2);
  assert.doesNotMatch(JSON.stringify(records), secret);
});

test("auth: schemes print without their secret; bad rules and credentials are typed errors that never echo one", () => {
  for (
    const scheme of [
      basic("ada", "hunter2"),
      bearer("hunter2"),
      bearer(() => "hunter2"),
      digest("ada", "hunter2"),
    ]
  ) {
    assert.doesNotMatch(JSON.stringify(scheme), /hunter2|aHVudGVyMg/);
    assert.doesNotMatch(inspect(scheme, { showHidden: true, depth: 5 }), /hunter2|aHVudGVyMg/);
  }
  const refused = (fn: () => unknown, option: RegExp) => {
    const error = (() => {
      try {
        fn();
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error instanceof InvalidOptions, String(error));
    assert.match(error.option, option);
    assert.doesNotMatch(error.message, /hunter2/);
  };
  refused(() => basic("ada:x", "hunter2"), /basic\(user\)/);
  refused(() => basic("ada", "hunter2\r\nX-Injected: 1"), /basic\(password\)/);
  refused(() => bearer("hunter2 with space"), /bearer\(token\)/);
  refused(() => bearer(""), /bearer\(token\)/);
  refused(() => bearer(42 as unknown as string), /bearer\(token\)/);
  refused(() => auth({ "ftp//nope": basic("a", "hunter2") }), /auth\(rules\)\["ftp\/\/nope"\]/);
  refused(() => auth({ "all://": { scheme: "basic" } }), /auth\(rules\)\["all:\/\/"\]/);
  refused(() => auth({ "all://": bearer("t") }, { maxReplayBytes: -1 }), /maxReplayBytes/);
  refused(() => auth(null as unknown as Record<string, null>), /auth\(rules\)/);
});

test("auth: the plugin is named for explain, and a rule list may be pairs", async () => {
  await using client = Client.make({
    transport: HandlerTransport.make(echoAuth),
    plugins: [auth([["all://a.test", bearer("a")], ["all://b.test", bearer("b")]])],
  });
  assert.deepEqual(client.explain("http://a.test/").plugins, ["auth"]);
  assert.equal(await (await client.fetch("http://b.test/")).text(), "Bearer b");
});
