/**
 * The command: parse, build the request and the client, then print,
 * download, explain or record, and say how it went in the exit code.
 *
 * @module
 */
import { Client, type ClientExplanation, type Plugin, SwitchyardError } from "../mod.ts";
import { record, type Recorder } from "../testing.ts";
import { taggedError } from "../client/fetch_error.ts";
import { type CliArgs, parseCliArgs } from "./args.ts";
import { type Palette, palette, wantsColour } from "./colour.ts";
import { ExitCode, exitCodeForError, exitCodeForStatus } from "./exit_codes.ts";
import { helpText } from "./help.ts";
import type { Io, Output } from "./io.ts";
import {
  colourJson,
  explainSection,
  formatJson,
  isJsonType,
  isTextType,
  metaSection,
  reasonPhrase,
  requestHead,
  responseHead,
} from "./output.ts";
import { makeProgress } from "./progress.ts";
import { prepare, type Prepared } from "./request.ts";
import { buildTransports } from "./transports.ts";
import { normaliseUrl } from "./url.ts";
import { VERSION } from "./version.ts";

/** How the output looks: what to print, whether to format and colour. */
interface Look {
  readonly print: string;
  readonly format: boolean;
  readonly p: Palette;
}

/** HTTPie's defaults: `hb` on a terminal, `b` when piped, `HB` offline, `HBhb` with -v, `HBhbm` with -vv. */
const defaultPrint = (args: CliArgs, terminal: boolean): string => {
  if (args.offline) return "HB";
  if (args.verbose >= 2) return "HBhbm";
  if (args.verbose === 1) return "HBhb";
  if (args.download !== undefined) return "";
  return terminal ? "hb" : "b";
};

const lookOf = (args: CliArgs, io: Io): Look => ({
  print: args.print ?? defaultPrint(args, io.stdout.isTerminal),
  format: args.pretty === "all" || args.pretty === "format" || (args.pretty === undefined && io.stdout.isTerminal),
  p: palette(wantsColour(io.env, io.stdout.isTerminal, args.pretty)),
});

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** A text body formatted (JSON indented) and coloured as the look says. */
const prettyText = (text: string, type: string | null, look: Look): string => {
  const json = isJsonType(type) || (type === null && /^\s*[[{]/.test(text));
  if (!json) return text;
  const formatted = look.format ? formatJson(text) ?? text : text;
  return colourJson(formatted, look.p);
};

const requestSection = (prepared: Prepared, look: Look): string => {
  const parts: Array<string> = [];
  if (look.print.includes("H")) parts.push(requestHead(prepared, look.p));
  if (look.print.includes("B") && prepared.body !== undefined && prepared.body.length > 0) {
    let text: string;
    try {
      text = prettyText(utf8.decode(prepared.body), prepared.headers.get("content-type"), look);
    } catch {
      text = look.p.dim(`[binary request body: ${prepared.body.length} bytes not shown]`);
    }
    parts.push(text);
  }
  return parts.join("\n\n");
};

/** Writes the response body: raw bytes as they come, or formatted text when formatting or colouring. */
const writeBody = async (response: Response, out: Output, look: Look): Promise<void> => {
  if (response.body === null) return;
  const type = response.headers.get("content-type");
  if (out.isTerminal && !isTextType(type)) {
    const size = (await response.arrayBuffer()).byteLength;
    await out.write(
      look.p.dim(`[binary data not shown: ${size} bytes; use --download FILE, or pipe the output]`) + "\n",
    );
    return;
  }
  if (look.format || look.p.enabled) {
    const text = await response.text();
    const shown = prettyText(text, type, look);
    await out.write((out.isTerminal || look.format) && !shown.endsWith("\n") ? `${shown}\n` : shown);
    return;
  }
  let last = 10;
  for await (const chunk of response.body) {
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
    await out.write(chunk);
  }
  if (out.isTerminal && last !== 10) await out.write("\n");
};

/** `--download FILE`: the body to the file, the progress bar (and the head) on stderr when it is a terminal. */
const download = async (response: Response, path: string, io: Io, args: CliArgs): Promise<void> => {
  const file = await io.createFile(path, "--download");
  const length = Number(response.headers.get("content-length"));
  // A compressed body is decoded by fetch: its Content-Length is not the size written.
  const total = response.headers.has("content-encoding") || !(length > 0) ? undefined : length;
  let drawing = Promise.resolve();
  const draw = (text: string) => void (drawing = io.stderr.write(text));
  const terminal = io.stderr.isTerminal && !args.quiet;
  if (terminal) {
    const p = palette(wantsColour(io.env, true, args.pretty));
    await io.stderr.write(`${responseHead(response, p)}\n\n`);
  }
  const progress = makeProgress(total, terminal, draw);
  let received = 0;
  try {
    if (response.body !== null) {
      for await (const chunk of response.body) {
        await file.write(chunk);
        received += chunk.length;
        progress.update(received);
      }
    }
  } catch (error) {
    if (terminal) await drawing.then(() => io.stderr.write("\n")); // the error goes below the bar, not over it
    throw error;
  } finally {
    await file.close();
  }
  progress.done(received);
  await drawing;
};

const reportError = async (rejection: unknown, io: Io): Promise<void> => {
  const p = palette(wantsColour(io.env, io.stderr.isTerminal, undefined));
  // client.fetch rejects a network failure with fetch's face ("fetch failed"): print the tagged error's sentence.
  const error = taggedError(rejection);
  const text = error instanceof SwitchyardError
    ? `${p.error(error._tag)}: ${error.message}`
    : `${p.error("unexpected error")}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
  await io.stderr.write(`switchyard: ${text}\n`);
};

/** Writes what `record` kept (in memory: the CLI's own file handling names `--har` in its errors). */
const writeHar = async (path: string, recorder: Recorder, io: Io): Promise<void> => {
  await recorder.flush();
  const file = await io.createFile(path, "--har");
  try {
    await file.write(new TextEncoder().encode(`${JSON.stringify(recorder.har(), null, 2)}\n`));
  } finally {
    await file.close();
  }
};

const send = async (args: CliArgs, prepared: Prepared, look: Look, io: Io): Promise<ExitCode> => {
  const transports = await buildTransports(args);
  // `--har`: the shared `record` plugin, secrets redacted as everywhere (each redirect hop is an entry).
  const recorder = args.har === undefined ? undefined : record();
  // The recorder innermost, so the HAR shows each request as it went out (digest's 401 and its second try too).
  const plugins: Array<Plugin> = [...prepared.plugins, ...(recorder === undefined ? [] : [recorder])];
  await using client = Client.make({
    transport: transports.transport,
    mounts: transports.mounts,
    plugins,
    followRedirects: args.follow,
    maxRedirects: args.maxRedirects,
    // Socket timeouts don't reach an in-process app: the client's own timeout does.
    ...(transports.inProcess && args.timeoutMs !== undefined ? { timeout: args.timeoutMs } : {}),
  });
  const why: ClientExplanation = client.explain(prepared.url);
  if (args.explain) {
    await io.stdout.write(`${explainSection(why, transports.describe, look.p)}\n`);
    return ExitCode.ok;
  }
  try {
    const head = requestSection(prepared, look);
    if (head !== "") await io.stdout.write(`${head}\n\n`);
    const started = performance.now();
    const response = await client.fetch(prepared.url, {
      method: prepared.method,
      headers: prepared.headers,
      ...(prepared.body === undefined ? {} : { body: prepared.body as BodyInit }),
    });
    const elapsed = performance.now() - started;
    if (args.download !== undefined) await download(response, args.download, io, args);
    else {
      if (look.print.includes("h")) await io.stdout.write(`${responseHead(response, look.p)}\n\n`);
      if (look.print.includes("b")) await writeBody(response, io.stdout, look);
      else await response.body?.cancel();
    }
    if (look.print.includes("m")) await io.stdout.write(`\n${metaSection(elapsed, why, look.p)}\n`);
    const code = exitCodeForStatus(response.status, args.checkStatus);
    if (code !== ExitCode.ok && !io.stdout.isTerminal && !args.quiet) {
      await io.stderr.write(`switchyard: warning: HTTP ${response.status} ${reasonPhrase(response)}\n`);
    }
    return code;
  } finally {
    if (args.har !== undefined) await writeHar(args.har, recorder!, io);
  }
};

/** Runs the command with `argv` (the arguments after the script) and returns the exit code. */
export const run = async (argv: ReadonlyArray<string>, io: Io): Promise<ExitCode> => {
  try {
    const args = parseCliArgs(argv);
    if (args.help) return (await io.stdout.write(helpText()), ExitCode.ok);
    if (args.version) return (await io.stdout.write(`switchyard ${VERSION}\n`), ExitCode.ok);
    const target = normaliseUrl(args.url, { app: args.app !== undefined });
    const prepared = await prepare(args, target, io);
    const look = lookOf(args, io);
    if (args.offline) {
      const head = requestSection(prepared, look);
      if (head !== "") await io.stdout.write(`${head}\n`);
      return ExitCode.ok;
    }
    return await send(args, prepared, look, io);
  } catch (error) {
    if ((error as { code?: string })?.code === "EPIPE") return ExitCode.ok; // `| head`: the reader left
    await reportError(error, io);
    return exitCodeForError(error);
  }
};
