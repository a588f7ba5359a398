/**
 * `balance` over two upstreams, one of which goes down: requests are spread
 * round-robin; once "green" stops, a request sent its way fails to connect
 * (never sent, so safe to resend) and fails over to "blue", and green is
 * ejected for a cool-down. The callers see only answers.
 *
 *   deno run --allow-net=127.0.0.1 examples/balance.ts     bun examples/balance.ts
 */
import { balance, Client, HttpTransport, Plugin, type Transport } from "../mod.ts";
import { serve } from "./serve.ts";

const blue = serve(() => new Response("blue"));
const green = serve(() => new Response("green"));

/** The network, with each request's origin replaced by the upstream's. */
const upstream = (origin: string): Transport =>
  Plugin.steps({
    name: `to ${origin}`,
    onRequest: (request) => {
      const url = new URL(request.url);
      return new Request(new URL(`${url.pathname}${url.search}`, origin), request);
    },
  })(HttpTransport.make());

await using client = Client.make({
  mounts: { "http://api.internal": balance([upstream(blue.url), upstream(green.url)]) },
});
const round = async () => {
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await (await client.fetch("http://api.internal/")).text());
  return answers.join(" ");
};

console.log(`both up:    ${await round()}`);
await green.stop();
console.log(`green down: ${await round()}`);
await blue.stop();
