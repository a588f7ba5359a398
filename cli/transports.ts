/**
 * The transports the command line asks for: the default one (the network
 * with `--proxy`, `--uds`, `--timeout`, ..., or `--app` in-process) and the
 * `--mount KEY=TARGET` ones. Targets:
 *
 * | target              | transport                                                        |
 * | ------------------- | ---------------------------------------------------------------- |
 * | `uds:/path/to.sock` | the network over that unix socket                                |
 * | `http://host:port`  | the network through that proxy (`https://`, `socks5://` too)     |
 * | `app:./server.ts`   | that module's fetch handler, in-process                          |
 * | `direct`            | the network with no proxy at all (not even the environment's)   |
 * | `default`           | the default transport (a `null` mount)                           |
 *
 * Network targets inherit `--timeout`, `--retries`, `--http2`, `--insecure`
 * and `--local-address`.
 *
 * @module
 */
import { HandlerTransport, HttpTransport, type HttpTransportOptions, InvalidOptions, type Transport } from "../mod.ts";
import { redactUrl } from "../core/redact.ts";
import { loadApp } from "./app.ts";
import type { CliArgs } from "./args.ts";

/** The transports, and a description of what each mount key goes to (for `--explain`). */
export interface Transports {
  readonly transport: Transport;
  readonly mounts: Readonly<Record<string, Transport | null>>;
  /** What a key is mounted to, as typed; `undefined`: the default transport. */
  readonly describe: (key: string | undefined) => string;
  /** Whether an in-process app is involved (it gets the client's timeout: no socket timeouts apply). */
  readonly inProcess: boolean;
}

/** Library option names, as the flags that set them (so a refusal names what the user typed). */
const FLAG_OF: Readonly<Record<string, string>> = {
  "tls.dangerouslyIgnoreCertificateErrors": "--insecure",
  http2: "--http2",
  http1: "--http2-only",
  uds: "--uds",
  localAddress: "--local-address",
  proxy: "--proxy",
  timeout: "--timeout",
  retries: "--retries",
};

const network = (options: HttpTransportOptions, via: string | undefined): Transport => {
  try {
    return HttpTransport.make(options);
  } catch (error) {
    if (!(error instanceof InvalidOptions)) throw error;
    const flag = via ?? FLAG_OF[error.option] ?? error.option;
    throw new InvalidOptions({
      option: flag === error.option ? flag : `${flag} (${error.option})`,
      received: error.received,
      expected: error.expected,
      ...(error.runtime === undefined ? {} : { runtime: error.runtime }),
    });
  }
};

const shared = (args: CliArgs): HttpTransportOptions => ({
  ...(args.timeoutMs === undefined ? {} : { timeout: args.timeoutMs }),
  ...(args.retries === undefined ? {} : { retries: args.retries }),
  ...(args.localAddress === undefined ? {} : { localAddress: args.localAddress }),
  ...(args.http2 ? { http2: true, http1: !args.http2Only } : {}),
  ...(args.insecure ? { tls: { dangerouslyIgnoreCertificateErrors: true } } : {}),
});

const PROXY_SCHEME = /^(https?|socks5h?):\/\//i;

const target = async (key: string, text: string, args: CliArgs): Promise<Transport | null> => {
  const flag = `--mount ${key}=${text}`;
  if (text === "default") return null;
  if (text === "direct") return network({ ...shared(args), trustEnv: false }, undefined);
  if (text.startsWith("uds:") && text.length > 4) return network({ ...shared(args), uds: text.slice(4) }, flag);
  if (text.startsWith("app:") && text.length > 4) return HandlerTransport.make(await loadApp(text.slice(4), flag));
  if (PROXY_SCHEME.test(text)) return network({ ...shared(args), proxy: text }, flag);
  throw new InvalidOptions({
    option: "--mount",
    received: JSON.stringify(`${key}=${text}`),
    expected:
      "KEY=TARGET with TARGET one of uds:/path, http://proxy:port (https, socks5), app:./file.ts, direct, default",
  });
};

/** Builds every transport the arguments name. Throws `InvalidOptions`. */
export const buildTransports = async (args: CliArgs): Promise<Transports> => {
  const mounts: Record<string, Transport | null> = {};
  const typed: Record<string, string> = {};
  let inProcess = args.app !== undefined;
  for (const entry of args.mounts) {
    const at = entry.indexOf("=");
    if (at <= 0 || at === entry.length - 1) {
      throw new InvalidOptions({
        option: "--mount",
        received: JSON.stringify(entry),
        expected: "KEY=TARGET, e.g. all://*.internal=uds:/var/run/app.sock (see --help)",
      });
    }
    const key = entry.slice(0, at);
    const text = entry.slice(at + 1);
    mounts[key] = await target(key, text, args);
    typed[key] = PROXY_SCHEME.test(text) ? redactUrl(text) : text;
    inProcess ||= text.startsWith("app:");
  }
  const transport = args.app !== undefined ? HandlerTransport.make(await loadApp(args.app, "--app")) : network({
    ...shared(args),
    ...(args.uds === undefined ? {} : { uds: args.uds }),
    ...(args.proxy === undefined ? {} : { proxy: args.proxy }),
  }, undefined);
  const fallback = args.app !== undefined
    ? `app:${args.app} (in-process)`
    : args.uds !== undefined
    ? `uds:${args.uds}`
    : args.proxy !== undefined
    ? `proxy ${redactUrl(args.proxy)}`
    : "the network (environment proxies apply)";
  return {
    transport,
    mounts,
    describe: (key) => (key === undefined || typed[key] === "default" ? fallback : typed[key] ?? fallback),
    inProcess,
  };
};
