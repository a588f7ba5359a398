/**
 * For the examples: a real server on 127.0.0.1 (a free port) with
 * `Deno.serve` or `Bun.serve`, whichever runtime runs the example.
 */
export interface Served {
  readonly url: string;
  readonly stop: () => Promise<void>;
}

type Handler = (request: Request) => Response | Promise<Response>;
const g = globalThis as unknown as {
  Deno?: {
    serve(o: { hostname: string; port: number; onListen(): void }, h: Handler): {
      addr: { port: number };
      shutdown(): Promise<void>;
    };
  };
  Bun?: { serve(o: { hostname: string; port: number; fetch: Handler }): { port: number; stop(force: boolean): void } };
};

/** Starts `handler` on loopback. */
export const serve = (handler: Handler): Served => {
  if (g.Bun) {
    const s = g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler });
    return { url: `http://127.0.0.1:${s.port}`, stop: () => Promise.resolve(s.stop(true)) };
  }
  const s = g.Deno!.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  return { url: `http://127.0.0.1:${s.addr.port}`, stop: () => s.shutdown() };
};
