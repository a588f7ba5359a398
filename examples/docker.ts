/**
 * The Docker Engine API over its unix socket: a mount sends every
 * `http://docker/...` URL to the socket, so the rest of the program just
 * uses URLs. Responses are validated with zod (`decodeJsonPromise`).
 *
 *   deno run --allow-read --allow-write --allow-env examples/docker.ts
 *   bun examples/docker.ts
 *
 * DOCKER_HOST=unix:///path/to/docker.sock picks another socket (the test
 * suite points it at a fake Docker it runs itself).
 */
import { z } from "zod";
import { Client, decodeJsonPromise, HttpTransport } from "../mod.ts";

const host = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.DOCKER_HOST;
const socket = host?.startsWith("unix://") ? host.slice("unix://".length) : "/var/run/docker.sock";

const Info = z.object({
  ServerVersion: z.string(),
  OperatingSystem: z.string(),
  Containers: z.number(),
  ContainersRunning: z.number(),
});
const Containers = z.array(z.object({ Names: z.array(z.string()), Image: z.string(), State: z.string() }));

await using docker = Client.make({
  baseUrl: "http://docker/v1.47",
  mounts: { "http://docker": HttpTransport.make({ uds: socket }) },
});

const info = await decodeJsonPromise(await docker.fetch("/info"), Info);
console.log(
  `Docker ${info.ServerVersion} on ${info.OperatingSystem}: ${info.Containers} containers, ${info.ContainersRunning} running`,
);
const containers = await decodeJsonPromise(await docker.fetch("/containers/json?all=true"), Containers);
for (const c of containers) console.log(`  ${c.Names[0]!.replace(/^\//, "")}  ${c.Image}  ${c.State}`);
