/**
 * A tiny fetch handler for examples/cli_session.txt: `switchyard --app
 * examples/todo_app.ts ...` calls it in-process. Any `export default`
 * handler or `{ fetch }` works (Deno.serve's, Bun.serve's, a Hono app).
 */
const todos: Array<{ id: number; title: string; done: boolean }> = [{ id: 1, title: "write docs", done: false }];

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/todos" && request.method === "GET") {
      const done = url.searchParams.get("done");
      return Response.json(done === null ? todos : todos.filter((t) => String(t.done) === done));
    }
    if (url.pathname === "/todos" && request.method === "POST") {
      const { title, done = false } = await request.json();
      const todo = { id: todos.length + 1, title, done };
      todos.push(todo);
      return Response.json(todo, { status: 201 });
    }
    return Response.json({ error: `no route for ${request.method} ${url.pathname}` }, { status: 404 });
  },
};
