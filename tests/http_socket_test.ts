/**
 * Where HttpTransport connects: a unix socket (`uds`), a local source address
 * (`localAddress`), and whether environment proxies are used (`trustEnv`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { ConnectError } from "../core/errors.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { serve, withServer } from "./fixtures/server.ts";
import { runChild } from "./fixtures/child.ts";
import { runtimeName, test, testOn } from "./harness.ts";

const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> => Effect.runPromise(effect);

const tempDir = (): { dir: string; [Symbol.dispose](): void } => {
  const dir = mkdtempSync(join(tmpdir(), "switchyard-http-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
};

test("uds: a request goes over the unix socket", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "app.sock");
  const server = serve((req) => new Response(`unix ${req.method} ${new URL(req.url).pathname}`), { unix: path });
  const t = HttpTransport.make({ uds: path });
  try {
    const response = await run(t.handle(new Request("http://localhost/v1/info")));
    assert.equal(await response.text(), "unix GET /v1/info");
    const post = await run(t.handle(new Request("http://localhost/items", { method: "POST", body: "x" })));
    assert.equal(await post.text(), "unix POST /items");
  } finally {
    await run(t.close());
    await server.close();
  }
});

test("uds: a missing socket file is ConnectError naming the socket", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "missing.sock");
  const t = HttpTransport.make({ uds: path });
  try {
    const error = await run(Effect.flip(t.handle(new Request("http://localhost/"))));
    assert.ok(error instanceof ConnectError, String(error));
    assert.match(error.detail, /missing\.sock/);
  } finally {
    await run(t.close());
  }
});

/** A raw HTTP/1.1 server on a unix socket that records request lines and rejects absolute-form with 400. */
const strictUnixServer = async (path: string) => {
  const lines: Array<string> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffer = "";
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const line = buffer.slice(0, buffer.indexOf("\r\n"));
      buffer = buffer.slice(end + 4);
      lines.push(line);
      const target = line.split(" ")[1] ?? "";
      const [status, body] = target.startsWith("/") ? ["200 OK", "origin-form ok"] : ["400 Bad Request", "absolute"];
      socket.write(`HTTP/1.1 ${status}\r\nContent-Length: ${body.length}\r\nContent-Type: text/plain\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, () => resolve()));
  return {
    lines,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
};

test("uds: the request line over the socket is origin-form (Deno: node:http, not its absolute-form fetch)", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "strict.sock");
  const server = await strictUnixServer(path);
  const t = HttpTransport.make({ uds: path });
  try {
    const response = await run(t.handle(new Request("http://localhost/v1.41/containers/json?all=1")));
    assert.equal(await response.text(), "origin-form ok");
    assert.equal(server.lines[0], "GET /v1.41/containers/json?all=1 HTTP/1.1");
  } finally {
    await run(t.close());
    await server.close();
  }
});

/** A TCP server on 127.0.0.1 that answers with the client's address. */
const withPeerAddress = async <A>(fn: (url: string) => Promise<A>): Promise<A> => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", () => {
      const body = socket.remoteAddress ?? "?";
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  try {
    return await fn(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`);
  } finally {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  }
};

test("localAddress: the server sees the chosen source address (Bun: through node:http)", () =>
  withPeerAddress(async (url) => {
    const t = HttpTransport.make({ localAddress: "127.0.0.2" });
    try {
      assert.equal(await (await run(t.handle(new Request(url)))).text(), "127.0.0.2");
    } finally {
      await run(t.close());
    }
  }));

test("localAddress: an address the host does not own is ConnectError", () =>
  withPeerAddress(async (url) => {
    const t = HttpTransport.make({ localAddress: "192.0.2.1" });
    try {
      const error = await run(Effect.flip(t.handle(new Request(url))));
      assert.ok(error instanceof ConnectError, String(error));
    } finally {
      await run(t.close());
    }
  }));

const childScript = (url: string, options: string): string => `
import { Effect } from "effect";
import { HttpTransport } from "${new URL("../transports/http/mod.ts", import.meta.url).pathname}";
let t;
try {
  t = HttpTransport.make(${options});
  const response = await Effect.runPromise(t.handle(new Request(${JSON.stringify(url)})));
  console.log(await response.text());
} catch (e) {
  console.log("ERROR " + e._tag + " " + e.option + " " + e.runtime);
} finally {
  if (t) await Effect.runPromise(t.close());
}
`;

test("trustEnv: true uses HTTP_PROXY from the environment; false goes direct or is refused", async () => {
  const proxy = await startProxy();
  try {
    await withServer(() => new Response("direct"), async (server) => {
      const env = { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: "", no_proxy: "" };
      const trusted = await runChild(childScript(server.url, "{}"), env);
      assert.equal(trusted, "direct");
      assert.equal(proxy.requests.length, 1, "trustEnv (default) went through the env proxy");
      const untrusted = await runChild(childScript(server.url, "{ trustEnv: false }"), env);
      if (runtimeName === "bun") {
        assert.equal(untrusted, "direct");
        assert.equal(proxy.requests.length, 1, "trustEnv: false did not touch the env proxy");
      } else {
        // Deno builds env proxies into every HttpClient: refused, never silently proxied.
        assert.equal(untrusted, "ERROR InvalidOptions trustEnv deno");
        assert.equal(proxy.requests.length, 1);
      }
      const clean = await runChild(childScript(server.url, "{ trustEnv: false }"), {
        HTTP_PROXY: "",
        http_proxy: "",
        HTTPS_PROXY: "",
        https_proxy: "",
        ALL_PROXY: "",
        all_proxy: "",
      });
      assert.equal(clean, "direct", "with no env proxy set, trustEnv: false works on both runtimes");
    });
  } finally {
    await proxy.close();
  }
});

test("uds: NO_PROXY and env proxies never send a unix-socket request elsewhere", async () => {
  using tmp = tempDir();
  const path = join(tmp.dir, "np.sock");
  const server = serve(() => new Response("via socket"), { unix: path });
  try {
    const proxy = await startProxy();
    try {
      const env = { NO_PROXY: "localhost", no_proxy: "localhost" };
      assert.equal(
        await runChild(childScript("http://localhost/", `{ uds: ${JSON.stringify(path)} }`), env),
        "via socket",
      );
      const proxied = { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: "", no_proxy: "" };
      assert.equal(
        await runChild(childScript("http://localhost/", `{ uds: ${JSON.stringify(path)} }`), proxied),
        "via socket",
      );
      assert.equal(proxy.requests.length, 0);
    } finally {
      await proxy.close();
    }
  } finally {
    await server.close();
  }
});

testOn(
  "deno",
  "runtime-lacks-feature",
  "uds and fetch: a Deno permission refusal is a ConnectError (never sent) naming the missing flag",
  async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "app.sock");
    const server = serve(() => new Response("unix"), { unix: path });
    const transports = new URL("../transports/http/mod.ts", import.meta.url).href;
    const script = (options: string, url: string) => `
      import { Effect } from "effect";
      import { HttpTransport } from ${JSON.stringify(transports)};
      const t = HttpTransport.make(${options});
      const exit = await Effect.runPromiseExit(t.handle(new Request(${JSON.stringify(url)})));
      const error = exit._tag === "Failure" ? exit.cause.reasons.find((r) => r._tag === "Fail")?.error : undefined;
      console.log(error ? error._tag + " " + error.detail : "sent");
      await Effect.runPromise(t.close());
    `;
    try {
      // node:http over the socket (Deno's fetch cannot speak to one): read and write access to the path are needed.
      const uds = await runChild(script(`{ uds: ${JSON.stringify(path)}, trustEnv: false }`, "http://localhost/"), {}, [
        "--allow-env",
      ]);
      assert.match(
        uds,
        /^ConnectError Deno denied the permission \(Requires read access to ".*app\.sock".*--allow-read/,
      );
      const readOnly = await runChild(
        script(`{ uds: ${JSON.stringify(path)}, trustEnv: false }`, "http://localhost/"),
        {},
        [
          "--allow-env",
          "--allow-read",
        ],
      );
      assert.match(readOnly, /^ConnectError Deno denied the permission \(Requires write access .*--allow-write/);
      // Deno's fetch without --allow-net for the host.
      const net = await runChild(script("{ trustEnv: false }", "http://127.0.0.1:18081/"), {}, [
        "--allow-env",
        "--allow-read",
      ]);
      assert.match(
        net,
        /^ConnectError Deno denied the permission \(Requires net access to "127\.0\.0\.1:18081".*--allow-net/,
      );
    } finally {
      await server.close();
    }
  },
);
