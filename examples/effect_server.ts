/**
 * An Effect server tested in-process: an `HttpApi` (with its own service
 * layer) runs behind `HttpAppTransport`, and the API's own derived client
 * calls it through Switchyard's effect/http `HttpClient` layer. No port, no
 * socket; the app's layers are built with the transport and released with it.
 *
 *   deno run examples/effect_server.ts     (no permissions needed)
 *   bun examples/effect_server.ts
 */
import { Context, Effect, Layer, Schema } from "effect";
import { HttpServer } from "effect/http";
import { HttpApi, HttpApiBuilder, HttpApiClient, HttpApiEndpoint, HttpApiError, HttpApiGroup } from "effect/http-api";
import { faults, record } from "../testing.ts";
import { HttpAppTransport, SwitchyardHttpClient } from "../http_client.ts";

// 1. The API, as the server and its clients share it.
const Todo = Schema.Struct({ id: Schema.Number, title: Schema.String, done: Schema.Boolean });
const Api = HttpApi.make("todos").add(
  HttpApiGroup.make("todos")
    .add(HttpApiEndpoint.get("list", "/todos", { success: Schema.Array(Todo) }))
    .add(HttpApiEndpoint.post("add", "/todos", { payload: Schema.Struct({ title: Schema.String }), success: Todo }))
    .add(
      HttpApiEndpoint.patch("finish", "/todos/:id", {
        params: { id: Schema.FiniteFromString },
        success: Todo,
        error: HttpApiError.NotFound,
      }),
    ),
);

// 2. The server: handlers over a store service, which is a layer of its own.
class Store extends Context.Service<Store, { readonly todos: Map<number, typeof Todo.Type> }>()("example/Store") {}
const StoreLive = Layer.sync(Store, () => Store.of({ todos: new Map() }));
const TodosLive = HttpApiBuilder.group(Api, "todos", (handlers) =>
  handlers
    .handle("list", () => Store.use(({ todos }) => Effect.succeed([...todos.values()])))
    .handle("add", ({ payload }) =>
      Store.use(({ todos }) =>
        Effect.sync(() => {
          const todo = { id: todos.size + 1, title: payload.title, done: false };
          todos.set(todo.id, todo);
          return todo;
        })
      ))
    .handle("finish", ({ params }) =>
      Store.use(({ todos }) => {
        const todo = todos.get(params.id);
        if (todo === undefined) return Effect.fail(new HttpApiError.NotFound());
        const done = { ...todo, done: true };
        todos.set(done.id, done);
        return Effect.succeed(done);
      })));
const ApiLive = HttpApiBuilder.layer(Api).pipe(
  Layer.provide(TodosLive),
  Layer.provide(StoreLive),
  Layer.provide(HttpServer.layerServices),
);

// 3. A test of it: the derived client, over Switchyard, with a recorder and one injected 503 to show both plugins.
const recorder = record();
const ClientLive = SwitchyardHttpClient.layer({
  transport: HttpAppTransport.make(ApiLive),
  plugins: [faults([{ fault: "status", status: 503, method: "GET", times: 1 }], { seed: 1 }), recorder],
});

const program = Effect.gen(function* () {
  const api = yield* HttpApiClient.make(Api, { baseUrl: "http://todos.test" });
  const first = yield* api.todos.add({ payload: { title: "write the test" } });
  yield* api.todos.add({ payload: { title: "ship it" } });
  yield* api.todos.finish({ params: { id: first.id } });
  const unavailable = yield* Effect.flip(api.todos.list());
  const todos = yield* api.todos.list();
  const missing = yield* Effect.flip(api.todos.finish({ params: { id: 99 } }));
  return { todos, unavailable: unavailable._tag, missing: missing._tag };
});

const result = await Effect.runPromise(program.pipe(Effect.provide(ClientLive)));
console.log(result.todos.map((t) => `${t.done ? "[x]" : "[ ]"} ${t.title}`).join("\n"));
console.log(`the injected 503: ${result.unavailable}; an unknown id: ${result.missing}`);
console.log(
  `recorded: ${
    recorder.entries.map((e) => `${e.request.method} ${new URL(e.request.url).pathname} ${e.response.status}`).join(
      ", ",
    )
  }`,
);
console.assert(result.todos.length === 2 && result.todos[0]!.done && result.missing === "NotFound");
