/**
 * Nothing is sent after close, and closing or cancelling never crashes: a
 * request queued for a pool slot when the transport closes is refused unsent;
 * a closed in-process transport never calls its app again; a body cancelled
 * over a unix socket (node:http engine) stops cleanly.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Effect } from "effect";
import { Client, ConnectError, HandlerTransport, HttpTransport, Transport } from "../mod.ts";
import { serve } from "./fixtures/server.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("close: requests queued for a pool slot are never sent after close (maxConnections 20, 100 requests)", async () => {
  // Before the fix (at 72c6043) a request that got its slot after close() was sent anyway: on Bun all 100
  // reached the server, the last ones seconds after close.
  let arrived = 0;
  let afterClose = 0;
  let closed = false;
  const server = serve(async () => {
    arrived++;
    if (closed) afterClose++;
    await sleep(300);
    return new Response("ok");
  });
  const transport = HttpTransport.make({ limits: { maxConnections: 20 }, trustEnv: false });
  try {
    const outcomes = Array.from(
      { length: 100 },
      (_, i) =>
        Effect.runPromise(transport.handle(new Request(`${server.url}/${i}`))).then(
          async (response) => (await response.text(), "ok"),
          (error) => error,
        ),
    );
    await sleep(200);
    closed = true;
    await Effect.runPromise(transport.close());
    const settled = await Promise.all(outcomes);
    await sleep(400); // anything still on its way would arrive now
    assert.equal(arrived, 20, "only the 20 requests holding a slot were sent");
    assert.equal(afterClose, 0, "nothing reached the server after close()");
    const refused = settled.filter((o) => o instanceof ConnectError && /closed/.test(o.message));
    assert.ok(refused.length >= 80, `the 80 queued requests are ConnectError "closed", got ${refused.length}`);
  } finally {
    await server.close();
  }
});

bothLanes(
  "close: a closed HandlerTransport refuses requests (ConnectError) and never calls the app again",
  async ({ send }) => {
    const events: string[] = [];
    const transport = HandlerTransport.make(() => (events.push("app"), new Response("ok")), {
      lifespan: { startup: () => void events.push("startup"), shutdown: () => void events.push("shutdown") },
    });
    assert.equal(await (await send(transport, new Request("http://app.test/"))).text(), "ok");
    await Effect.runPromise(transport.close());
    const error = await send(transport, new Request("http://app.test/")).catch((e) => e);
    assert.ok(error instanceof ConnectError, String(error));
    assert.match(error.message, /closed/);
    assert.deepEqual(events, ["startup", "app", "shutdown"], "the app ran once, before shutdown; never after");
    // Without a lifespan too: close means closed.
    const plain = HandlerTransport.make(() => new Response("ok"));
    await Effect.runPromise(plain.close());
    assert.ok((await send(plain, new Request("http://app.test/")).catch((e) => e)) instanceof ConnectError);
  },
);

bothLanes(
  "close: a lifespan startup that throws fails the request with AppError, never synchronously",
  async ({ send }) => {
    const boom = new Error("db down");
    const transport = HandlerTransport.make(() => new Response("ok"), {
      lifespan: {
        startup: () => {
          throw boom;
        },
      },
    });
    let pending: Promise<Response> | undefined;
    assert.doesNotThrow(() => void (pending = send(transport, new Request("http://app.test/"))));
    const error = await pending!.catch((e) => e);
    assert.equal(error?._tag, "AppError", String(error));
    assert.equal(error.cause, boom);
    await Effect.runPromise(transport.close());
  },
);

test("close: cancelling a body over a unix socket (and following a redirect there) never crashes the process", async () => {
  // Before the fix, on Deno, node:http kept emitting data after cancel(): "Uncaught TypeError: The stream
  // controller cannot close or enqueue" killed the test process.
  using tmp = tempDir("switchyard-close-");
  const path = join(tmp.dir, "cancel.sock");
  const big = new Uint8Array(1 << 20);
  const server = serve(
    (r) => new URL(r.url).pathname === "/moved" ? Response.redirect("http://localhost/big", 302) : new Response(big),
    { unix: path },
  );
  const client = Client.make({ transport: HttpTransport.make({ uds: path }) });
  try {
    for (let i = 0; i < 5; i++) {
      const response = await client.fetch("http://localhost/big");
      await response.body!.cancel();
      const followed = await client.fetch("http://localhost/moved"); // the client cancels the 302's body
      assert.equal(followed.status, 200);
      await followed.body!.cancel();
    }
    await sleep(100); // late node:http events would throw now
    const whole = await client.fetch("http://localhost/big");
    assert.equal((await whole.arrayBuffer()).byteLength, big.byteLength, "the transport still works");
  } finally {
    await Effect.runPromise(client.close());
    await server.close();
  }
});

test("close: a spec's close written in plain JavaScript (a Promise, or nothing) never dies", async () => {
  // Before: "Not a valid effect: undefined", a defect, from `await using` or a layer's finalizer.
  let closed = 0;
  const handle = () => Effect.succeed(new Response("ok"));
  const asPromise = Transport.make({ handle, close: (() => Promise.resolve().then(() => void closed++)) as never });
  const asNothing = Transport.make({ handle, close: (() => void closed++) as never });
  await Effect.runPromise(asPromise.close());
  await Effect.runPromise(asNothing.close());
  assert.equal(closed, 2);
});
