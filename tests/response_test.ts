import assert from "node:assert/strict";
import { Effect } from "effect";
import { z } from "zod";
import {
  Client,
  decodeJson,
  decodeJsonPromise,
  DecodingError,
  HandlerTransport,
  HttpStatusError,
  raiseForStatus,
  raiseForStatusPromise,
} from "../mod.ts";
import { test } from "./harness.ts";

const User = z.object({ id: z.number(), name: z.string() });
const app = (request: Request) => {
  const path = new URL(request.url).pathname;
  if (path === "/good") return Response.json({ id: 1, name: "Ada" });
  if (path === "/bad") return Response.json({ id: "1" });
  if (path === "/html") return new Response("<html>oops</html>");
  return new Response("missing", { status: 404, statusText: "Not Found" });
};

test("response: decodeJson validates with zod; a mismatch is a DecodingError listing zod's issues and the request", async () => {
  await using client = Client.make({ baseUrl: "http://api.test", transport: HandlerTransport.make(app) });
  const user = await Effect.runPromise(client.get("/good").pipe(Effect.flatMap(decodeJson(User))));
  assert.deepEqual(user, { id: 1, name: "Ada" });
  const error = await Effect.runPromise(client.get("/bad").pipe(Effect.flatMap(decodeJson(User)), Effect.flip));
  assert.ok(error instanceof DecodingError);
  assert.deepEqual(error.issues.map((i) => i.path), [["id"], ["name"]]);
  assert.match(error.message, /GET http:\/\/api\.test\/bad/);
  assert.match(error.message, /at id: .*expected number/);
  const notJson = await decodeJsonPromise(await client.fetch("/html"), User).catch((e) => e);
  assert.ok(notJson instanceof DecodingError);
  assert.match(notJson.message, /not JSON \(it starts with "<html>oops<\/html>"\)/);
});

test("response: raiseForStatus / raiseForStatusPromise fail with HttpStatusError carrying status and response", async () => {
  await using client = Client.make({ baseUrl: "http://api.test", transport: HandlerTransport.make(app) });
  const error = await Effect.runPromise(client.get("/missing").pipe(Effect.flatMap(raiseForStatus), Effect.flip));
  assert.ok(error instanceof HttpStatusError);
  assert.equal(error.status, 404);
  assert.equal(await error.response.text(), "missing");
  assert.match(error.message, /GET http:\/\/api\.test\/missing \(404 Not Found\)/);
  const ok = await raiseForStatusPromise(await client.fetch("/good"));
  assert.equal((await ok.json()).id, 1);
  const rejected = await raiseForStatusPromise(await client.fetch("/missing")).catch((e) => e);
  assert.ok(rejected instanceof HttpStatusError);
  await rejected.response.body?.cancel();
});
