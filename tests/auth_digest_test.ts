/**
 * `digest(user, password)` (RFC 7616): the RFC's own example vectors, the
 * challenge grammar, and a real loopback server that checks every response
 * hash with its own implementation of §3.4 (written here from the RFC, not
 * imported from the plugin), through both lanes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { auth, Client, digest, type DigestAlgorithm, InvalidOptions, logging, type LogRecord } from "../mod.ts";
import {
  digestAuthorization,
  type DigestChallenge,
  parseAuthParams,
  parseChallenges,
  pickDigestChallenge,
} from "../plugins/digest_challenge.ts";
import { withServer } from "./fixtures/server.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

const ALL: ReadonlyArray<DigestAlgorithm> = ["MD5", "SHA-256", "SHA-512-256"];

// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
const rfcChallenge = (algorithm: DigestAlgorithm): DigestChallenge => ({
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  algorithm,
  session: false,
  qop: "auth",
  stale: false,
  userhash: false,
});
const rfcRequest = {
  user: "Mufasa",
  password: "Circle of Life",
  method: "GET",
  uri: "/dir/index.html",
  nc: 1,
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};

test("digest: RFC 7616 §3.9.1 vectors, MD5 and SHA-256, to the byte", () => {
  assert.equal(
    digestAuthorization(rfcChallenge("MD5"), rfcRequest),
    'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=MD5, ' +
      'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, ' +
      'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="8ca523f5e9506fed4657c9700eebdbec", ' +
      'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  );
  assert.match(
    digestAuthorization(rfcChallenge("SHA-256"), rfcRequest),
    /algorithm=SHA-256, .* response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/,
  );
});

// RFC 7616 §3.9.2's printed username hash and response are not those of its inputs (erratum 4897, which
// other implementations' tests agree on); these are the erratum's values. The hash itself is checked
// against FIPS 180-4's SHA-512/256 vector for "abc".
test("digest: RFC 7616 §3.9.2 vector (as corrected by erratum 4897), SHA-512-256, userhash, UTF-8 user", () => {
  assert.equal(
    createHash("sha512-256").update("abc").digest("hex"),
    "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23",
  );
  const header = digestAuthorization({
    realm: "api@example.org",
    nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
    opaque: "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS",
    algorithm: "SHA-512-256",
    session: false,
    qop: "auth",
    stale: false,
    userhash: true,
  }, {
    user: "J\u00e4s\u00f8n Doe",
    password: "Secret, or not?",
    method: "GET",
    uri: "/doe.json",
    nc: 1,
    cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
  });
  assert.match(header, /^Digest username="793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b", /);
  assert.match(header, /response="3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"/);
  assert.match(header, /, userhash=true$/);
  // Without userhash, a name that is not ASCII goes as RFC 8187 `username*`.
  const plain = digestAuthorization(rfcChallenge("SHA-256"), { ...rfcRequest, user: "J\u00e4s\u00f8n Doe" });
  assert.match(plain, /^Digest username\*=UTF-8''J%C3%A4s%C3%B8n%20Doe, /);
});

test("digest: the challenge grammar: several challenges, quoted commas and escapes, token68, preferences", () => {
  const header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", ' +
    "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu==, " +
    'Digest realm="x", nonce="n1", qop="auth-int", Digest realm="x", nonce="n2", qop="auth,auth-int", ' +
    "algorithm=SHA-256-sess, stale=TRUE";
  const parsed = parseChallenges(header);
  assert.deepEqual(parsed.map((c) => c.scheme), ["Newauth", "Basic", "Negotiate", "Digest", "Digest"]);
  assert.equal(parsed[0]!.params.get("title"), 'Login to "apps"');
  assert.equal(parsed[2]!.token68, "YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu==");
  const picked = pickDigestChallenge(header, ALL)!;
  assert.equal(picked.nonce, "n2", "auth-int alone is skipped");
  assert.equal(picked.algorithm, "SHA-256");
  assert.ok(picked.session && picked.stale && picked.qop === "auth");
  assert.equal(pickDigestChallenge(header, ["MD5"]), undefined, "an algorithm not allowed is not answered");
  assert.equal(pickDigestChallenge('Digest realm="x", nonce="n", algorithm=SHA-1', ALL), undefined);
  assert.equal(pickDigestChallenge('Digest realm="x", nonce="n"', ALL)!.algorithm, "MD5", "MD5 when unnamed");
  assert.equal(pickDigestChallenge('Digest realm="x", nonce="n"', ALL)!.qop, undefined, "RFC 2069: no qop");
  assert.equal(parseAuthParams('nextnonce="abc", rspauth="d", qop=auth').get("nextnonce"), "abc");
});

// ---- A server that checks Digest itself (RFC 7616 §3.4), independently of the plugin ----

const H = (algorithm: string, text: string) =>
  createHash({ "MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512-256" }[algorithm]!).update(text).digest(
    "hex",
  );

const paramsOf = (authorization: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const m of authorization.slice("Digest ".length).matchAll(/([\w*]+)=(?:"((?:\\.|[^"\\])*)"|([^,\s]+))/g)) {
    out.set(m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!);
  }
  return out;
};

interface DigestServerOptions {
  readonly algorithm: DigestAlgorithm;
  readonly session?: boolean;
  readonly userhash?: boolean;
  readonly user?: string;
  readonly password?: string;
  /** Sends `Authentication-Info: nextnonce` on each success. */
  readonly rotate?: boolean;
}

/** A realm with one user; records what it saw, so tests can count round trips and nonce counts. */
const digestServer = (options: DigestServerOptions) => {
  const { algorithm, session = false, userhash = false, user = "ada", password = "s3cret" } = options;
  const realm = "loopback@test";
  const name = `${algorithm}${session ? "-sess" : ""}`;
  let nonce = "nonce-0";
  let nonces = 0;
  const seenNc = new Map<string, number>();
  const log: Array<{ path: string; status: number; nc?: string; body?: string }> = [];
  const challenge = (stale: boolean) =>
    new Response(null, {
      status: 401,
      headers: {
        "www-authenticate": `Digest realm="${realm}", qop="auth, auth-int", algorithm=${name}, nonce="${nonce}", ` +
          `opaque="op-1"${userhash ? ", userhash=true" : ""}${stale ? ", stale=true" : ""}`,
      },
    });
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body === null ? undefined : await request.text();
    const header = request.headers.get("authorization");
    const deny = (stale = false) => {
      log.push({ path: url.pathname, status: 401, body });
      return challenge(stale);
    };
    if (header === null || !header.startsWith("Digest ")) return deny();
    const p = paramsOf(header);
    const expectedUser = userhash ? H(algorithm, `${user}:${realm}`) : user;
    if (p.get("username") !== expectedUser || p.get("realm") !== realm || p.get("opaque") !== "op-1") return deny();
    if (p.get("uri") !== url.pathname + url.search || p.get("qop") !== "auth" || p.get("algorithm") !== name) {
      return deny();
    }
    if (p.get("nonce") !== nonce) return deny(true); // an old nonce: stale, not a wrong password
    const nc = p.get("nc")!;
    const count = parseInt(nc, 16);
    if (!/^[0-9a-f]{8}$/.test(nc) || count <= (seenNc.get(nonce) ?? 0)) return deny(); // a replayed nonce count
    seenNc.set(nonce, count);
    const cnonce = p.get("cnonce")!;
    let ha1 = H(algorithm, `${user}:${realm}:${password}`);
    if (session) ha1 = H(algorithm, `${ha1}:${nonce}:${cnonce}`);
    const ha2 = H(algorithm, `${request.method}:${p.get("uri")}`);
    if (p.get("response") !== H(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)) return deny();
    log.push({ path: url.pathname, status: 200, nc, body });
    const headers = new Headers();
    if (options.rotate) headers.set("authentication-info", `nextnonce="${(nonce = `nonce-${++nonces}`)}"`);
    return new Response(`hello ${user}`, { headers });
  };
  return {
    handler,
    log,
    /** The server forgets its nonce: the next request's is stale. */
    expire: () => void (nonce = `nonce-${++nonces}`),
  };
};

for (const algorithm of ALL) {
  for (const session of [false, true]) {
    const name = `${algorithm}${session ? "-sess" : ""}`;
    bothLanes(`digest: ${name}: one challenge, then up front with the nonce count kept`, async ({ call }) => {
      const server = digestServer({ algorithm, session });
      await withServer(server.handler, async ({ url }) => {
        await using client = Client.make({
          trustEnv: false,
          plugins: [auth({ [url]: digest("ada", "s3cret") })],
        });
        for (const path of ["/a", "/b?q=1", "/c"]) {
          const response = await call(client, `${url}${path}`);
          assert.equal(response.status, 200);
          assert.equal(await response.text(), "hello ada");
        }
        assert.deepEqual(server.log.map((e) => `${e.status} ${e.path} ${e.nc ?? ""}`), [
          "401 /a ",
          "200 /a 00000001",
          "200 /b 00000002",
          "200 /c 00000003",
        ]);
      });
    });
  }
}

bothLanes("digest: a stale nonce is answered again; a wrong password gets the 401 after one try", async ({ call }) => {
  const server = digestServer({ algorithm: "SHA-256" });
  await withServer(server.handler, async ({ url }) => {
    await using client = Client.make({ trustEnv: false, plugins: [auth({ [url]: digest("ada", "s3cret") })] });
    assert.equal(await (await call(client, `${url}/one`)).text(), "hello ada");
    server.expire();
    const again = await call(client, `${url}/two`);
    assert.equal(again.status, 200);
    await again.body?.cancel();
    assert.deepEqual(server.log.map((e) => e.status), [401, 200, 401, 200], "stale: one more round trip");

    server.log.length = 0;
    await using wrong = Client.make({ trustEnv: false, plugins: [auth({ [url]: digest("ada", "wrong") })] });
    const refused = await call(wrong, `${url}/x`);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    assert.deepEqual(server.log.map((e) => e.status), [401, 401], "no loop on bad credentials");
  });
});

bothLanes("digest: a POST body is sent again with the answer to the challenge", async ({ call }) => {
  const server = digestServer({ algorithm: "SHA-512-256" });
  await withServer(server.handler, async ({ url }) => {
    await using client = Client.make({ trustEnv: false, plugins: [auth({ [url]: digest("ada", "s3cret") })] });
    const response = await call(client, `${url}/items`, { method: "POST", body: JSON.stringify({ n: 1 }) });
    assert.equal(response.status, 200);
    await response.body?.cancel();
    assert.deepEqual(server.log.map((e) => [e.status, e.body]), [[401, '{"n":1}'], [200, '{"n":1}']]);
  });
});

bothLanes("digest: userhash, and Authentication-Info's nextnonce", async ({ call }) => {
  const server = digestServer({ algorithm: "SHA-256", userhash: true, rotate: true, user: "J\u00e4s\u00f8n" });
  await withServer(server.handler, async ({ url }) => {
    await using client = Client.make({
      trustEnv: false,
      plugins: [auth({ [url]: digest("J\u00e4s\u00f8n", "s3cret") })],
    });
    for (const path of ["/a", "/b", "/c"]) {
      const response = await call(client, `${url}${path}`);
      assert.equal(response.status, 200, path);
      await response.body?.cancel();
    }
    // Each success moved the nonce: every request after the first is up front, each on a fresh nonce.
    assert.deepEqual(server.log.map((e) => `${e.status} ${e.nc ?? ""}`), [
      "401 ",
      "200 00000001",
      "200 00000001",
      "200 00000001",
    ]);
  });
});

bothLanes("digest: algorithms can be restricted; the password is never logged", async ({ call }) => {
  const server = digestServer({ algorithm: "MD5" });
  const records: LogRecord[] = [];
  await withServer(server.handler, async ({ url }) => {
    await using client = Client.make({
      trustEnv: false,
      plugins: [
        logging({ log: (r) => void records.push(r) }),
        auth({ [url]: digest("ada", "s3cret", { algorithms: ["SHA-256", "SHA-512-256"] }) }),
      ],
    });
    const response = await call(client, `${url}/x`);
    assert.equal(response.status, 401, "MD5 only offered, MD5 not allowed: not answered");
    await response.body?.cancel();
    assert.equal(server.log.length, 1);
    assert.doesNotMatch(JSON.stringify(records), /s3cret/);
  });
});

test("digest: bad options are typed", () => {
  assert.throws(() => digest("ada", "pw", { algorithms: ["SHA-1" as DigestAlgorithm] }), InvalidOptions);
  assert.throws(() => digest("ada", "pw", { algorithms: [] }), InvalidOptions);
  assert.throws(
    () => digest("ada\n", "pw"),
    (e: unknown) => e instanceof InvalidOptions && /digest\(user\)/.test(e.option),
  );
});
