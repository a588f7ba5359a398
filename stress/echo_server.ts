/**
 * The loopback peer of `stress.ts`, run in its own process so that the
 * client's file descriptors are counted alone: a server on 127.0.0.1 that
 * echoes each request's id (the `x-request-id` header) in a header and in a
 * JSON body, and prints its port on the first line of stdout.
 */
import { serve } from "../tests/fixtures/server.ts";

const server = serve((request) => {
  const id = request.headers.get("x-request-id");
  return Response.json({ id, hooked: request.headers.get("x-hooked") }, { headers: { "x-request-id": id ?? "" } });
});
console.log(server.port);
