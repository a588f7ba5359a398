/**
 * Examples that cannot rot: every file in examples/ is run here as a
 * process on this runtime, and its output checked: the Docker API over a
 * unix socket (against a fake Docker on a real socket), a Hono app
 * in-process, an Effect app with its HttpClient layer swapped for a mock,
 * `balance` with an upstream going down, environment proxies with NO_PROXY
 * (against tests/fixtures/proxy.ts), the CLI session transcript, and the demo.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { commandFor, ROOT, runCli, runCommand, withScratch } from "./fixtures/cli.ts";
import { startProxy } from "./fixtures/proxy.ts";
import { serve } from "./fixtures/server.ts";
import { test } from "./harness.ts";

const example = (name: string, args: ReadonlyArray<string> = [], env: Record<string, string> = {}) =>
  runCommand(commandFor(`${ROOT}examples/${name}`, args), { env });

/** Docker's answers, trimmed to the fields the example reads (shapes from the Engine API v1.47). */
const fakeDocker = (request: Request): Response => {
  const url = new URL(request.url);
  if (url.pathname === "/v1.47/info") {
    return Response.json({
      ID: "7TRN:IPZB",
      ServerVersion: "27.3.1",
      OperatingSystem: "Debian GNU/Linux 12 (bookworm)",
      Containers: 2,
      ContainersRunning: 1,
      ContainersStopped: 1,
    });
  }
  if (url.pathname === "/v1.47/containers/json" && url.searchParams.get("all") === "true") {
    return Response.json([
      { Id: "8dfafdbc3a40", Names: ["/web"], Image: "nginx:1.27", State: "running", Status: "Up 2 hours" },
      { Id: "9cd87474be90", Names: ["/db"], Image: "postgres:17", State: "exited", Status: "Exited (0) 1 hour ago" },
    ]);
  }
  return Response.json({ message: `page not found: ${url.pathname}` }, { status: 404 });
};

test("examples: docker.ts talks to the Docker API over a unix socket", () =>
  withScratch(async (dir) => {
    const docker = serve(fakeDocker, { unix: join(dir, "docker.sock") });
    try {
      const r = await example("docker.ts", [], { DOCKER_HOST: `unix://${docker.path}` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        "Docker 27.3.1 on Debian GNU/Linux 12 (bookworm): 2 containers, 1 running\n" +
          "  web  nginx:1.27  running\n  db  postgres:17  exited\n",
      );
    } finally {
      await docker.close();
    }
  }));

test("examples: hono_app.ts tests a Hono app in-process through hc and client.fetch", async () => {
  const r = await example("hono_app.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'POST /users -> 201 {"id":2,"name":"Grace"}\nGET /users/2 -> 200 {"id":2,"name":"Grace"}\n' +
      'GET /users/9 -> 404 {"error":"no such user"}\n',
  );
});

test("examples: effect_mock.ts runs an Effect app with its HttpClient layer swapped for a mock", async () => {
  const r = await example("effect_mock.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "Oslo: -3 °C\nLisbon: 21 °C\nthe app made 2 calls: /v1/Oslo, /v1/Lisbon\n");
});

test(
  "examples: balance.ts spreads over two upstreams and fails over when one goes down",
  async () => {
    const r = await example("balance.ts");
    assert.equal(r.code, 0, r.stderr);
    const [up, down] = r.stdout.trim().split("\n");
    assert.match(up!, /^both up: {4}(blue|green)( (blue|green)){3}$/);
    assert.ok(up!.includes("blue") && up!.includes("green"), up);
    assert.equal(down, "green down: blue blue blue blue");
  },
);

test("examples: env_proxies.ts sends through HTTP_PROXY except what NO_PROXY lists", async () => {
  const proxy = await startProxy();
  const server = serve((request) => new Response(`origin ${new URL(request.url).pathname}`));
  try {
    const direct = `http://localhost:${server.port}/b`;
    const r = await example("env_proxies.ts", [`${server.url}/a`, direct], {
      HTTP_PROXY: proxy.url,
      NO_PROXY: "localhost",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `127.0.0.1:${server.port}/a -> proxy ${proxy.url} (rule "http://"): origin /a\n` +
        `localhost:${server.port}/b -> direct (rule "all://localhost"): origin /b\n`,
    );
    assert.deepEqual(proxy.requests.map((q) => q.target), [`${server.url}/a`]);
  } finally {
    await server.close();
    await proxy.close();
  }
});

/** The transcript's commands, each with its expected stdout, stderr lines (`! `) and exit code (`[exit N]`). */
const transcript = (text: string) =>
  text.split(/\n(?=\$ )/).filter((block) => block.startsWith("$ ")).map((block) => {
    const [command, ...lines] = block.trimEnd().split("\n");
    const exit = lines.find((l) => /^\[exit \d+\]$/.test(l));
    return {
      args: command!.slice("$ switchyard ".length).split(" "),
      stdout: lines.filter((l) => !/^\[exit \d+\]$/.test(l) && !l.startsWith("! ")).join("\n"),
      stderr: lines.filter((l) => l.startsWith("! ")).map((l) => l.slice(2)).join("\n"),
      code: exit === undefined ? 0 : Number(/\d+/.exec(exit)![0]),
    };
  });

const SESSION = transcript(readFileSync(`${ROOT}examples/cli_session.txt`, "utf8"));

test("examples: cli_session.txt holds a session of several commands", () => assert.ok(SESSION.length >= 6));

for (const step of SESSION) {
  const shown = `$ switchyard ${step.args.join(" ")}`;
  test(`examples: cli_session.txt: ${shown}`, async () => {
    const r = await runCli(step.args);
    assert.equal(r.code, step.code, r.stderr);
    assert.equal(r.stdout.trimEnd(), step.stdout);
    assert.equal(r.stderr.trimEnd(), step.stderr);
  });
}

test("examples: demo.ts runs the main job end to end", async () => {
  const r = await example("demo.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /network {3}-> 200 hello from a real server/);
  assert.match(r.stdout, /explain {3}-> /);
});

test("examples: effect_server.ts tests an HttpApi in-process through Switchyard's effect/http client", async () => {
  const r = await example("effect_server.ts");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    "[x] write the test\n[ ] ship it\nthe injected 503: HttpClientError; an unknown id: NotFound\n" +
      "recorded: POST /todos 200, POST /todos 200, PATCH /todos/1 200, GET /todos 200, PATCH /todos/99 404\n",
  );
});

test("examples: every example file is run by this suite", () => {
  const covered = [
    "docker.ts",
    "hono_app.ts",
    "effect_mock.ts",
    "effect_server.ts",
    "balance.ts",
    "env_proxies.ts",
    "demo.ts",
  ];
  const helpers = ["serve.ts", "todo_app.ts", "cli_session.txt"];
  assert.deepEqual(readdirSync(`${ROOT}examples`).sort(), [...covered, ...helpers].sort());
});
