/**
 * Proxies from the environment, HTTPX's rules: `HTTP_PROXY` for http URLs,
 * `NO_PROXY` for the hosts that go direct. `environmentProxies()` shows the
 * mount keys the environment turns into, and the router (the same one the
 * transport uses) says which rule decides each URL.
 *
 *   HTTP_PROXY=http://127.0.0.1:3128 NO_PROXY=localhost \
 *     deno run --allow-net --allow-env examples/env_proxies.ts http://127.0.0.1:8000/a http://localhost:8000/b
 */
import { Client, environmentProxies } from "../mod.ts";
import { Router } from "../router.ts";

const urls = (globalThis as { process?: { argv: Array<string> } }).process!.argv.slice(2);
const rules = environmentProxies();
const router = Router.make(rules);

await using client = Client.make(); // trustEnv: true, the default
for (const url of urls) {
  const route = router.resolve(new URL(url));
  const via = route === undefined || route.value === null ? "direct" : `proxy ${route.value}`;
  const response = await client.fetch(url);
  console.log(
    `${new URL(url).host}${new URL(url).pathname} -> ${via} (rule ${
      JSON.stringify(route?.key ?? "none")
    }): ${await response.text()}`,
  );
}
