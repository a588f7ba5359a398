/**
 * One redaction rule wherever a URL or a message is stored or printed:
 * userinfo and secret-looking query values, in URLs that parse and in text
 * that does not, in errors thrown by apps and mocks (message, String, JSON,
 * detail, stack, log records), widened by `configureRedaction`.
 */
import assert from "node:assert/strict";
import {
  AppError,
  Client,
  configureRedaction,
  ConnectError,
  environmentProxies,
  HandlerTransport,
  InvalidOptions,
  InvalidUrl,
  logging,
  type LogRecord,
  MockTransport,
} from "../mod.ts";
import { isSecretHeader, isSecretParam, redactText, redactUrl } from "../core/redact.ts";
import { test } from "./harness.ts";
import { bothLanes } from "./lanes.ts";

test("redaction: the rule for parameter names (whole names, and words that are always secret)", () => {
  const secret = [
    "token",
    "api_key",
    "api-key",
    "apiKey",
    "key",
    "secret",
    "password",
    "signature",
    "sig",
    "code",
    "access_token",
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
    "client_secret",
    "refresh_token",
    "sessionId",
    "auth",
    "PASSWD",
  ];
  const plain = ["q", "page", "monkey", "author", "zip_code", "keyword", "design", "state", "tokenizer"];
  for (const name of secret) assert.ok(isSecretParam(name), name);
  for (const name of plain) assert.ok(!isSecretParam(name), name);
});

test("redaction: redactUrl keeps everything but the secrets, byte for byte", () => {
  assert.equal(
    redactUrl("https://user:pw@example.com/a%20b?token=abc&q=%C3%A9&sig=1#access_token=z&state=s"),
    "https://[redacted]@example.com/a%20b?token=[redacted]&q=%C3%A9&sig=[redacted]#access_token=[redacted]&state=s",
  );
  assert.equal(redactUrl("http://api.test/?q=1&page=2"), "http://api.test/?q=1&page=2");
  assert.equal(redactUrl(new URL("http://a.test/?to%6Ben=x")), "http://a.test/?to%6Ben=[redacted]");
});

test("redaction: text that is not a URL is redacted by its shape (the unparsable-URL fallback)", () => {
  // Before: only the userinfo was hidden; the token stayed.
  assert.equal(
    redactUrl("http://u:pw@127.0.0.1:99999/?token=t"),
    "http://[redacted]@127.0.0.1:99999/?token=[redacted]",
  );
  assert.equal(redactUrl("http://u:p/w@h:x/?api_key=k"), "http://[redacted]@h:x/?api_key=[redacted]");
  assert.equal(redactUrl("user:pw@proxy.local:3128"), "[redacted]@proxy.local:3128");
  // Found by the fuzz: junk before `://`, and a URL without an authority.
  assert.equal(redactUrl("?://u:S3CRET@h"), "?://[redacted]@h");
  assert.equal(redactUrl("a:://u:S3CRET@:0"), "a:://[redacted]@:0");
  assert.equal(redactUrl("x?token=S3CRET://a"), "x?token=[redacted]");
  assert.equal(redactUrl("not a url"), "not a url");
  assert.equal(
    redactText("GET http://u:pw@h.test/?token=a failed; retry with api_key=k2, page=3"),
    "GET http://[redacted]@h.test/?token=[redacted] failed; retry with api_key=[redacted], page=3",
  );
});

bothLanes("redaction: an unparsable URL gives an InvalidUrl without its credentials or token", async ({ call }) => {
  await using client = Client.make({ transport: MockTransport.make(() => new Response("ok")) });
  const error = await call(client, "http://u:pw@127.0.0.1:99999/?token=t0k").catch((e) => e);
  assert.ok(error instanceof InvalidUrl, String(error));
  assert.doesNotMatch(`${error.url} ${error.message} ${JSON.stringify(error)}`, /pw|t0k/);
});

const SECRETS = /TOK1|KEY1|pw@|hunter2/;
const leakyUrl = "http://u:pw@app.test/x?token=TOK1&api_key=KEY1&q=1";

for (
  const [name, make] of [
    ["an in-process app", (thrown: Error) => HandlerTransport.make(() => Promise.reject(thrown))],
    ["a mock", (thrown: Error) => MockTransport.make(() => Promise.reject(thrown))],
  ] as const
) {
  bothLanes(
    `redaction: ${name} that throws with the URL in its message leaks nothing we store or print`,
    async ({ call }) => {
      // Before: both values were in the AppError's message, String(), JSON, detail, stack and the log record.
      const records: LogRecord[] = [];
      const thrown = new Error(`failed for ${leakyUrl} (password=hunter2)`);
      await using client = Client.make({
        transport: make(thrown),
        plugins: [logging({ log: (r) => void records.push(r) })],
      });
      const error = await call(client, leakyUrl).catch((e) => e);
      assert.ok(error instanceof AppError, String(error));
      for (
        const [what, text] of Object.entries({
          message: error.message,
          string: String(error),
          json: JSON.stringify(error),
          detail: error.detail,
          url: error.url,
          stack: String(error.stack),
          log: JSON.stringify(records),
        })
      ) assert.doesNotMatch(text, SECRETS, what);
      assert.match(
        error.detail,
        /failed for http:\/\/\[redacted\]@app\.test\/x\?token=\[redacted\]&api_key=\[redacted\]&q=1/,
      );
      assert.equal(error.cause, thrown, "the cause is the thrower's own object, kept as it is");
      assert.equal(records.length, 1);
    },
  );
}

test("redaction: configureRedaction adds names (process-wide), and {} restores the built-in rule", () => {
  try {
    configureRedaction({ queryParams: ["otp", "tenantKey"], headers: ["X-Session"] });
    const error = new ConnectError({ method: "GET", url: "http://api.test/?otp=123&tenant-key=t&user=ada&token=x" });
    assert.equal(error.url, "http://api.test/?otp=[redacted]&tenant-key=[redacted]&user=ada&token=[redacted]");
    assert.ok(isSecretHeader("x-session"));
    assert.ok(isSecretHeader("authorization"), "the built-ins stay");
    configureRedaction({ queryParams: ["other"] });
    assert.ok(!isSecretParam("otp"), "each call replaces the previous names");
  } finally {
    configureRedaction({});
  }
  assert.ok(!isSecretParam("otp") && !isSecretHeader("x-session"));
  assert.ok(isSecretParam("token"));
});

test("redaction: option errors never show credentials or secret values they were given", () => {
  try {
    environmentProxies({ HTTPS_PROXY: "ftp://bob:hunter2@proxy.test/?token=TOK1" });
    assert.fail("expected InvalidOptions");
  } catch (error) {
    assert.ok(error instanceof InvalidOptions);
    assert.doesNotMatch(String(error), /hunter2|TOK1/);
  }
  const error = new InvalidOptions({ option: "x", received: "http://a:b@h/?key=K9", expected: "y" });
  assert.doesNotMatch(error.message + error.received, /a:b|K9/);
});
