/**
 * The CLI's exit codes: one per outcome a script wants to branch on. HTTPie's
 * numbers are kept where they exist (2 timeout, 3/4/5 with `--check-status`,
 * 6 too many redirects); 7 is curl's "could not connect".
 *
 * @module
 */
import {
  ConnectError,
  InvalidOptions,
  InvalidUrl,
  isTimeoutError,
  ProxyError,
  TooManyRedirects,
  UnsupportedProtocol,
} from "../mod.ts";

/** Every exit code, by name. */
export const ExitCode = {
  ok: 0,
  error: 1,
  timeout: 2,
  status3xx: 3,
  status4xx: 4,
  status5xx: 5,
  tooManyRedirects: 6,
  connect: 7,
  tls: 8,
  proxy: 9,
  invalidInput: 10,
} as const;

/** One of the codes above. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** The table printed by `--help` and documented in the README's "Exit codes". */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [ExitCode | string, string]> = [
  [ExitCode.ok, "success: a response arrived (any status without --check-status; 2xx with it), or --offline/--explain"],
  [ExitCode.error, "any other failure: read/write errors, protocol errors, the in-process app threw (AppError)"],
  [ExitCode.timeout, "a timeout (ConnectTimeout, ReadTimeout, WriteTimeout, PoolTimeout)"],
  [ExitCode.status3xx, "--check-status and the final response is 3xx (redirects not followed)"],
  [ExitCode.status4xx, "--check-status and the response is 4xx"],
  [ExitCode.status5xx, "--check-status and the response is 5xx"],
  [ExitCode.tooManyRedirects, "more redirects than --max-redirects (TooManyRedirects)"],
  [ExitCode.connect, "could not connect: refused, unreachable, DNS, missing unix socket (ConnectError)"],
  [ExitCode.tls, "TLS: the server's certificate did not verify (ConnectError from the TLS handshake)"],
  [ExitCode.proxy, "the proxy refused, failed or asked for credentials (ProxyError)"],
  [ExitCode.invalidInput, "invalid input: arguments, items, URL, files, options the runtime cannot honour"],
  ["130", "interrupted (Ctrl-C), as the shell reports a SIGINT"],
];

/** The exit code of a response that arrived. */
export const exitCodeForStatus = (status: number, checkStatus: boolean): ExitCode => {
  if (!checkStatus || status < 300) return ExitCode.ok;
  if (status < 400) return ExitCode.status3xx;
  if (status < 500) return ExitCode.status4xx;
  return ExitCode.status5xx;
};

/**
 * Whether a `ConnectError` came from the TLS handshake. The engines say so
 * in the detail (the one wording all three use); the error tree has no TLS
 * class of its own yet.
 */
const isTlsFailure = (error: ConnectError): boolean => /^TLS /.test(error.detail);

/** The exit code of an error the CLI could not turn into a response. */
export const exitCodeForError = (error: unknown): ExitCode => {
  if (error instanceof InvalidOptions || error instanceof InvalidUrl || error instanceof UnsupportedProtocol) {
    return ExitCode.invalidInput;
  }
  if (isTimeoutError(error)) return ExitCode.timeout;
  if (error instanceof ConnectError) return isTlsFailure(error) ? ExitCode.tls : ExitCode.connect;
  if (error instanceof ProxyError) return ExitCode.proxy;
  if (error instanceof TooManyRedirects) return ExitCode.tooManyRedirects;
  return ExitCode.error;
};
