/**
 * `guard()` against a real loopback server: every spelling of a private
 * address that `URL` and the runtime's fetch turn into one is refused before
 * anything is sent (and, without the guard, the same spelling does reach the
 * server: the test could fail), names are resolved and every address checked,
 * and `allow`, `deny` and `ports` decide as documented. Both lanes, both runtimes.
 */
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  BlockedAddress,
  type BlockedRule,
  ConnectError,
  type InvalidOptions,
  isNotSent,
  isTransportError,
  TransportErrorBase,
} from "../core/errors.ts";
import { Client } from "../client/client.ts";
import { guard, type GuardOptions } from "../plugins/guard.ts";
import { systemResolve } from "../plugins/guard_resolve.ts";
import { HandlerTransport } from "../transports/handler.ts";
import { HttpTransport } from "../transports/http/mod.ts";
import { serve } from "./fixtures/server.ts";
import { runtimeName, test } from "./harness.ts";
import { bothLanes, type Lanes } from "./lanes.ts";

/** A counting loopback server: `hits` is how many requests reached it. */
const counting = () => {
  const state = { hits: 0 };
  const server = serve(() => (state.hits++, new Response("reached")));
  return {
    port: server.port,
    close: () => server.close(),
    get hits() {
      return state.hits;
    },
  };
};

const client = (options?: GuardOptions) =>
  Client.make({ transport: HttpTransport.make({ trustEnv: false }), plugins: options ? [guard(options)] : [] });

const refusal = async (lanes: Lanes, c: Client, url: string): Promise<BlockedAddress> => {
  const error = await lanes.call(c, url).then((r) => (r.body?.cancel(), assert.fail(`${url} was answered`)), (e) => e);
  assert.ok(error instanceof BlockedAddress, `${url}: ${error}`);
  return error;
};

/** Spellings of the loopback server that reach it through fetch on both runtimes (checked below without a guard). */
const REACHING = (port: number) =>
  [
    [`http://127.0.0.1:${port}/`, "127.0.0.1"],
    [`http://2130706433:${port}/`, "127.0.0.1"], // decimal
    [`http://0x7f.1:${port}/`, "127.0.0.1"], // hex, short form
    [`http://0177.0.0.1:${port}/`, "127.0.0.1"], // octal
    [`http://127.1:${port}/`, "127.0.0.1"],
    [`http://①②⑦.0.0.1:${port}/`, "127.0.0.1"], // full-width digits
    [`http://127.0.0.1.:${port}/`, "127.0.0.1"], // trailing dot
    [`http://[::ffff:127.0.0.1]:${port}/`, "[::ffff:7f00:1]"], // IPv4-mapped, as URL rewrites it
    [`http://[::ffff:7f00:1]:${port}/`, "[::ffff:7f00:1]"],
    [`http://localhost:${port}/`, "127.0.0.1"], // loopback by name (RFC 6761), no resolver asked
  ] as const;

/** Also reach the server (Linux sends 0.0.0.0 to the local host; Bun resolves every *.localhost to loopback). */
const REACHING_OTHER = (port: number) =>
  [
    [`http://0:${port}/`, "0.0.0.0", "unspecified"],
    [`http://0.0.0.0:${port}/`, "0.0.0.0", "unspecified"],
    ...(runtimeName === "bun"
      ? [[`http://localhost.:${port}/`, "127.0.0.1", "loopback"], [
        `http://sub.localhost:${port}/`,
        "127.0.0.1",
        "loopback",
      ]]
      : []),
  ] as const;

test("guard (control): without a guard every listed spelling does reach the loopback server", async () => {
  const server = counting();
  await using plain = client();
  try {
    const all = [...REACHING(server.port), ...REACHING_OTHER(server.port)];
    for (const [url] of all) assert.equal(await (await plain.fetch(url)).text(), "reached", url);
    assert.equal(server.hits, all.length);
  } finally {
    await server.close();
  }
});

bothLanes("guard: every spelling of loopback and 0.0.0.0 is refused, nothing reaches the server", async (lanes) => {
  const server = counting();
  await using guarded = client({});
  try {
    for (const [url, address] of REACHING(server.port)) {
      const error = await refusal(lanes, guarded, url);
      assert.equal(error.rule, "loopback", url);
      assert.equal(error.address, address, url);
      assert.equal(error.port, server.port);
      assert.equal(error._tag, "BlockedAddress");
      assert.ok(error instanceof TypeError, "a transport error is fetch's TypeError too");
    }
    for (const [url, address, rule] of REACHING_OTHER(server.port)) {
      const error = await refusal(lanes, guarded, url);
      assert.deepEqual([error.address, error.rule], [address, rule], url);
    }
    assert.equal(server.hits, 0, "nothing was sent");
  } finally {
    await server.close();
  }
});

bothLanes("guard: IPv6 forms that embed a private IPv4 address are judged by it", async (lanes) => {
  await using guarded = client({});
  const cases: ReadonlyArray<readonly [string, BlockedRule]> = [
    ["http://[::1]/", "loopback"],
    ["http://[::]/", "unspecified"],
    ["http://[::127.0.0.1]/", "loopback"], // IPv4-compatible
    ["http://[::ffff:0:7f00:1]/", "loopback"], // IPv4-translated
    ["http://[64:ff9b::7f00:1]/", "loopback"], // NAT64
    ["http://[64:ff9b:1::a00:1]/", "private"], // local-use NAT64
    ["http://[2002:7f00:1::]/", "loopback"], // 6to4
    ["http://[2002:a9fe:a9fe::]/", "metadata"], // 6to4 of 169.254.169.254
    ["http://[::ffff:169.254.169.254]/", "metadata"],
    ["http://[::ffff:a00:1]/", "private"],
    ["http://[::8.8.8.8]/", "reserved"], // IPv4-compatible is deprecated even for a public address
  ];
  for (const [url, rule] of cases) assert.equal((await refusal(lanes, guarded, url)).rule, rule, url);
});

bothLanes(
  "guard: private, CGNAT, link-local, metadata, documentation and multicast literals are refused",
  async (lanes) => {
    await using guarded = client({});
    const cases: ReadonlyArray<readonly [string, BlockedRule]> = [
      ["http://10.1.2.3/", "private"],
      ["http://172.31.255.255/", "private"],
      ["http://192.168.1.1/", "private"],
      ["http://0300.0250.0.1/", "private"], // octal 192.168.0.1
      ["http://100.64.0.1/", "cgnat"],
      ["http://169.254.1.1/", "link-local"],
      ["http://169.254.169.254/latest/meta-data/", "metadata"],
      ["http://0xa9fea9fe/", "metadata"], // hex 169.254.169.254
      ["http://100.100.100.200/", "metadata"],
      ["http://[fd00:ec2::254]/", "metadata"],
      ["http://metadata.google.internal/", "metadata"],
      ["http://192.0.2.1/", "documentation"],
      ["http://[2001:db8::1]/", "documentation"],
      ["http://198.18.0.1/", "benchmarking"],
      ["http://224.0.0.1/", "multicast"],
      ["http://[ff02::1]/", "multicast"],
      ["http://255.255.255.255/", "reserved"],
      ["http://[fc00::1]/", "private"],
      ["http://[fe80::1]/", "link-local"],
    ];
    for (const [url, rule] of cases) assert.equal((await refusal(lanes, guarded, url)).rule, rule, url);
  },
);

bothLanes("guard: public destinations pass (an in-process app stands for the public server)", async (lanes) => {
  const seen: string[] = [];
  await using guarded = Client.make({
    transport: HandlerTransport.make((request) => (seen.push(request.url), new Response("public"))),
    plugins: [guard({ resolve: () => Promise.resolve(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]) })],
  });
  for (
    const url of [
      "http://example.test/a",
      "http://93.184.216.34/b",
      "https://[2606:4700::1111]/c",
      "http://[::ffff:8.8.8.8]/d",
    ]
  ) {
    assert.equal(await (await lanes.call(guarded, url)).text(), "public", url);
  }
  assert.equal(seen.length, 4);
});

bothLanes("guard: a name is resolved and every address is checked; one private address refuses", async (lanes) => {
  const server = counting();
  const answers: Record<string, ReadonlyArray<string>> = {
    "evil.test": ["127.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.0.0.5"],
    "mapped.test": ["::ffff:127.0.0.1"], // the text getaddrinfo writes
  };
  const asked: string[] = [];
  await using guarded = client({
    resolve: (name) => (asked.push(name), Promise.resolve(answers[name] ?? [])),
  });
  try {
    const evil = await refusal(lanes, guarded, `http://evil.test:${server.port}/`);
    assert.deepEqual([evil.host, evil.address, evil.rule], ["evil.test", "127.0.0.1", "loopback"]);
    assert.match(evil.message, /evil\.test resolved to 127\.0\.0\.1/);
    const mixed = await refusal(lanes, guarded, "http://mixed.test/");
    assert.deepEqual([mixed.address, mixed.rule], ["10.0.0.5", "private"]);
    assert.equal((await refusal(lanes, guarded, "http://mapped.test/")).address, "[::ffff:7f00:1]");
    assert.deepEqual(asked, ["evil.test", "mixed.test", "mapped.test"]);
    assert.equal(server.hits, 0);
  } finally {
    await server.close();
  }
});

bothLanes("guard: a resolution failure refuses (ConnectError), it never skips the check", async (lanes) => {
  const server = counting();
  const failing: Record<string, () => Promise<ReadonlyArray<string>>> = {
    "nx.test": () => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND nx.test"), { code: "ENOTFOUND" })),
    "empty.test": () => Promise.resolve([]),
    "garbage.test": () => Promise.resolve(["not-an-address"]),
    "throws.test": () => {
      throw new Error("resolver bug");
    },
  };
  await using guarded = client({ resolve: (name) => failing[name]!() });
  try {
    for (const name of Object.keys(failing)) {
      const error = await lanes.call(guarded, `http://${name}:${server.port}/`).then(() => undefined, (e) => e);
      assert.ok(error instanceof ConnectError, `${name}: ${error}`);
      assert.match(error.detail, new RegExp(`could not resolve ${name.replace(".", "\\.")}.*nothing was sent`));
    }
    assert.equal(server.hits, 0);
  } finally {
    await server.close();
  }
});

test("guard: the system resolver gives every address of a name (getaddrinfo, /etc/hosts included)", async () => {
  const addresses = await systemResolve("localhost");
  assert.ok(addresses.includes("127.0.0.1") || addresses.includes("::1"), String(addresses));
  await assert.rejects(systemResolve("nonexistent.invalid"), (e: { code?: string }) => e.code === "ENOTFOUND");
});

bothLanes(
  "guard: allow lets chosen private destinations through, by CIDR, address and port, or name",
  async (lanes) => {
    const server = counting();
    const asked: string[] = [];
    const resolve = (name: string) => (asked.push(name), Promise.resolve(["127.0.0.1"]));
    const port = server.port;
    try {
      await using byCidr = client({ allow: ["all://127.0.0.0/8"], resolve });
      assert.equal(await (await lanes.call(byCidr, `http://127.0.0.1:${port}/`)).text(), "reached");
      assert.equal(await (await lanes.call(byCidr, `http://[::ffff:7f00:1]:${port}/`)).text(), "reached");
      assert.equal(
        await (await lanes.call(byCidr, `http://localhost:${port}/`)).text(),
        "reached",
        "localhost: 127.0.0.1",
      );
      assert.deepEqual(asked, [], "localhost is loopback without asking a resolver");
      assert.equal((await refusal(lanes, byCidr, "http://10.0.0.1/")).rule, "private");

      await using byPort = client({ allow: [`http://127.0.0.1:${port}`], resolve });
      assert.equal(await (await lanes.call(byPort, `http://127.0.0.1:${port}/`)).text(), "reached");
      assert.equal((await refusal(lanes, byPort, `http://127.0.0.1:${port + 1}/`)).rule, "loopback");
      assert.equal((await refusal(lanes, byPort, `https://127.0.0.1:${port}/`)).rule, "loopback", "the scheme counts");

      await using byName = client({ allow: ["all://localhost"], resolve });
      assert.equal(await (await lanes.call(byName, `http://localhost:${port}/`)).text(), "reached");
      assert.deepEqual(asked, [], "an allowed name is trusted as written, not resolved");
      assert.equal(server.hits, 5);
    } finally {
      await server.close();
    }
  },
);

bothLanes("guard: deny wins over allow, and ports restricts every destination", async (lanes) => {
  await using denied = client({
    allow: ["all://10.0.0.0/8"],
    deny: ["all://10.9.0.0/16", "all://*.blocked.test"],
    resolve: () => Promise.resolve(["93.184.216.34"]),
  });
  const a = await refusal(lanes, denied, "http://10.9.1.1/");
  assert.deepEqual([a.rule, a.address], ["denied", "10.9.1.1"]);
  assert.equal((await refusal(lanes, denied, "http://api.blocked.test/")).rule, "denied");
  await using ported = client({ ports: [443], resolve: () => Promise.resolve(["93.184.216.34"]) });
  const p = await refusal(lanes, ported, "http://public.test/");
  assert.deepEqual([p.rule, p.port, p.address], ["port", 80, "public.test"]);
  assert.match(p.message, /ports/);
});

test("guard: BlockedAddress is a TransportError of the tree, caught by its tag on the Effect face", async () => {
  await using guarded = client({});
  const caught = await Effect.runPromise(
    guarded.get("http://10.0.0.1/").pipe(
      Effect.map(() => "answered"),
      Effect.catchTag("BlockedAddress", (e) => Effect.succeed(`${e.rule} ${e.address}`)),
    ),
  );
  assert.equal(caught, "private 10.0.0.1");
  const error = new BlockedAddress({ method: "GET", url: "http://u:pw@x.test/?token=t" }, {
    host: "x.test",
    address: "10.0.0.1",
    port: 80,
    rule: "private",
  });
  assert.ok(isTransportError(error) && error instanceof TransportErrorBase && !isNotSent(error));
  assert.doesNotMatch(error.message, /pw|token=t/, "the URL is redacted");
});

test("guard: bad options are refused at construction, naming the entry", () => {
  assert.throws(() => guard({ allow: ["10.0.0.0/8"] }), (e: InvalidOptions) => e.option === "guard.allow[0]");
  assert.throws(() => guard({ ports: [0] }), (e: InvalidOptions) => e.option === "guard.ports[0]");
  assert.throws(() => guard({ resolve: "dns" as never }), (e: InvalidOptions) => e.option === "guard.resolve");
  assert.throws(() => guard({ allowed: [] } as never), (e: InvalidOptions) => e.option === "guard.allowed");
});
