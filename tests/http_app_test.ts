/**
 * An effect/http app in-process: an `HttpApi` with its own service layer,
 * behind `HttpAppTransport`, called through Switchyard's effect/http
 * `HttpClient` layer by the API's own derived client: no port.
 */
import assert from "node:assert/strict";
import { Context, Effect, Layer, Schema } from "effect";
import { HttpServer } from "effect/http";
import { HttpApi, HttpApiBuilder, HttpApiClient, HttpApiEndpoint, HttpApiError, HttpApiGroup } from "effect/http-api";
import { Client, MockTransport, Transport } from "../mod.ts";
import { HttpAppTransport, SwitchyardHttpClient } from "../http_client.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const User = Schema.Struct({ id: Schema.Number, name: Schema.String });
const Api = HttpApi.make("users-api").add(
  HttpApiGroup.make("users")
    .add(
      HttpApiEndpoint.get("byId", "/users/:id", {
        params: { id: Schema.FiniteFromString },
        success: User,
        error: HttpApiError.NotFound,
      }),
    )
    .add(HttpApiEndpoint.post("create", "/users", { payload: Schema.Struct({ name: Schema.String }), success: User })),
);

/** The app's own dependency: a store, acquired and released with the app's layer. */
class Users extends Context.Service<Users, {
  readonly find: (id: number) => Effect.Effect<typeof User.Type | undefined>;
  readonly add: (name: string) => Effect.Effect<typeof User.Type>;
}>()("test/Users") {}

const lifecycle: Array<string> = [];
const UsersLive = Layer.effect(
  Users,
  Effect.acquireRelease(
    Effect.sync(() => {
      lifecycle.push("store opened");
      const rows = new Map([[1, { id: 1, name: "Ada" }]]);
      return Users.of({
        find: (id) => Effect.sync(() => rows.get(id)),
        add: (name) =>
          Effect.sync(() => {
            const user = { id: rows.size + 1, name };
            rows.set(user.id, user);
            return user;
          }),
      });
    }),
    () => Effect.sync(() => void lifecycle.push("store closed")),
  ),
);

const UsersGroupLive = HttpApiBuilder.group(Api, "users", (handlers) =>
  handlers
    .handle("byId", ({ params }) =>
      Effect.flatMap(
        Users.use((users) => users.find(params.id)),
        (user) => user === undefined ? Effect.fail(new HttpApiError.NotFound()) : Effect.succeed(user),
      ))
    .handle("create", ({ payload }) => Users.use((users) => users.add(payload.name))));

const ApiLive = HttpApiBuilder.layer(Api).pipe(
  Layer.provide(UsersGroupLive),
  Layer.provide(UsersLive),
  Layer.provide(HttpServer.layerServices),
);

test("http app: an HttpApi answers its own derived client through SwitchyardHttpClient, in-process", async () => {
  lifecycle.length = 0;
  const program = Effect.gen(function* () {
    const client = yield* HttpApiClient.make(Api, { baseUrl: "http://users.test" });
    const ada = yield* client.users.byId({ params: { id: 1 } });
    const bob = yield* client.users.create({ payload: { name: "Bob" } });
    const again = yield* client.users.byId({ params: { id: bob.id } });
    const missing = yield* Effect.flip(client.users.byId({ params: { id: 99 } }));
    return { ada, bob, again, missing: missing._tag };
  });
  const result = await Effect.runPromise(
    program.pipe(Effect.provide(SwitchyardHttpClient.layer({ transport: HttpAppTransport.make(ApiLive) }))),
  );
  assert.deepEqual(result, {
    ada: { id: 1, name: "Ada" },
    bob: { id: 2, name: "Bob" },
    again: { id: 2, name: "Bob" },
    missing: "NotFound",
  });
  assert.deepEqual(lifecycle, ["store opened", "store closed"], "the app's layer is released with the client");
});

test("http app: as a layer, the app is built with it and released with its scope; mounted beside a mock", async () => {
  lifecycle.length = 0;
  const program = Effect.gen(function* () {
    const client = yield* Client;
    const user = yield* client.get("http://users.internal/users/1");
    const other = yield* client.get("http://elsewhere.test/");
    return [yield* Effect.promise(() => user.json()), yield* Effect.promise(() => other.text())];
  });
  const layer = Layer.unwrap(
    Effect.map(Transport, (app) =>
      Client.layer({
        transport: MockTransport.make(() => new Response("mock")),
        mounts: { "all://users.internal": app },
      })),
  ).pipe(Layer.provide(HttpAppTransport.layer(ApiLive)));
  assert.deepEqual(await Effect.runPromise(program.pipe(Effect.provide(layer))), [{ id: 1, name: "Ada" }, "mock"]);
  assert.deepEqual(lifecycle, ["store opened", "store closed"]);
});

bothLanes(
  "http app: plain requests on both lanes: a route, a bad payload (400), an unknown route (404)",
  async ({ send }) => {
    const app = HttpAppTransport.make(ApiLive);
    try {
      const created = await send(
        app,
        new Request("http://users.test/users", {
          method: "POST",
          body: JSON.stringify({ name: "Cy" }),
          headers: { "content-type": "application/json" },
        }),
      );
      assert.equal(created.status, 200);
      assert.equal((await created.json()).name, "Cy");
      const bad = await send(
        app,
        new Request("http://users.test/users", {
          method: "POST",
          body: JSON.stringify({ nom: "Cy" }),
          headers: { "content-type": "application/json" },
        }),
      );
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
      const unknown = await send(app, new Request("http://users.test/nowhere"));
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
    } finally {
      await Effect.runPromise(app.close());
    }
  },
);
