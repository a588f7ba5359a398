/**
 * A Hono app tested in-process: `HandlerTransport` calls `app.fetch`
 * directly (no port, no socket), and Hono's typed client `hc` sends through
 * `client.fetch`, a drop-in `fetch`.
 *
 *   deno run examples/hono_app.ts        bun examples/hono_app.ts
 */
import { Hono } from "hono";
import { hc } from "hono/client";
import { Client, HandlerTransport } from "../mod.ts";

const users = new Map([[1, { id: 1, name: "Ada" }]]);
const app = new Hono()
  .get("/users/:id", (c) => {
    const user = users.get(Number(c.req.param("id")));
    return user ? c.json(user) : c.json({ error: "no such user" }, 404);
  })
  .post("/users", async (c) => {
    const { name } = await c.req.json<{ name: string }>();
    const user = { id: users.size + 1, name };
    users.set(user.id, user);
    return c.json(user, 201);
  });

await using client = Client.make({ transport: HandlerTransport.make(app.fetch) });
const api = hc<typeof app>("http://app.test", { fetch: client.fetch });

const created = await api.users.$post({ json: { name: "Grace" } });
console.log(`POST /users -> ${created.status} ${JSON.stringify(await created.json())}`);
const found = await api.users[":id"].$get({ param: { id: "2" } });
console.log(`GET /users/2 -> ${found.status} ${JSON.stringify(await found.json())}`);
const missing = await api.users[":id"].$get({ param: { id: "9" } });
console.log(`GET /users/9 -> ${missing.status} ${JSON.stringify(await missing.json())}`);
