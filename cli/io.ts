/**
 * The CLI's contact with the process: stdout and stderr (with backpressure,
 * and whether each is a terminal), the environment, files, stdin and the
 * password prompt. `node:` modules, which Deno and Bun both provide.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import process from "node:process";
import { readEnv } from "../core/runtime.ts";
import { InvalidOptions } from "../mod.ts";

/** An output stream. */
export interface Output {
  readonly isTerminal: boolean;
  /** Resolves when the chunk is handed to the OS (so a large body is never queued in memory). */
  readonly write: (chunk: string | Uint8Array) => Promise<void>;
}

/** A file being written by `--download` or `--har`. */
export interface FileSink {
  readonly write: (chunk: Uint8Array) => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Everything the CLI touches outside itself, so tests and the entry point can differ only here. */
export interface Io {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: (name: string) => string | undefined;
  readonly readBytes: (path: string, what: string) => Uint8Array;
  readonly readStdin: () => Promise<Uint8Array>;
  readonly prompt: (question: string) => Promise<string | undefined>;
  readonly createFile: (path: string, what: string) => Promise<FileSink>;
}

interface NodeWritable {
  readonly isTTY?: boolean;
  write(chunk: string | Uint8Array, callback: (error?: Error | null) => void): boolean;
}

const output = (stream: NodeWritable): Output => ({
  isTerminal: stream.isTTY === true,
  write: (chunk) =>
    new Promise<void>((resolve, reject) => void stream.write(chunk, (error) => (error ? reject(error) : resolve()))),
});

const fileError = (what: string, path: string, error: unknown): InvalidOptions =>
  new InvalidOptions({
    option: what,
    received: `${JSON.stringify(path)} (${(error as { code?: string }).code ?? String(error)})`,
    expected: "a path this process can open (on Deno: --allow-read / --allow-write for it)",
  });

/** Reads a password from the terminal with echo off; `undefined` when stdin is not a terminal. */
const prompt = (stderr: Output) => async (question: string): Promise<string | undefined> => {
  const stdin = process.stdin as unknown as {
    isTTY?: boolean;
    setRawMode(raw: boolean): void;
    resume(): void;
    pause(): void;
    on(event: "data", f: (chunk: Uint8Array | string) => void): void;
    off(event: "data", f: (chunk: Uint8Array | string) => void): void;
  };
  if (stdin.isTTY !== true) return undefined;
  await stderr.write(question);
  return await new Promise<string>((resolve) => {
    let typed = "";
    const onData = (chunk: Uint8Array | string) => {
      for (const char of typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk)) {
        if (char === "\u0003") process.exit(130); // Ctrl-C
        if (char === "\r" || char === "\n" || char === "\u0004") {
          stdin.off("data", onData);
          stdin.setRawMode(false);
          stdin.pause();
          void stderr.write("\n").then(() => resolve(typed));
          return;
        }
        if (char === "\u007f" || char === "\b") typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
};

/** The real process. */
export const processIo = (): Io => {
  const stderr = output(process.stderr as unknown as NodeWritable);
  return {
    stdout: output(process.stdout as unknown as NodeWritable),
    stderr,
    env: readEnv,
    readBytes: (path, what) => {
      try {
        return new Uint8Array(readFileSync(path));
      } catch (error) {
        throw fileError(what, path, error);
      }
    },
    readStdin: async () => {
      const chunks: Array<Uint8Array> = [];
      for await (const chunk of process.stdin as AsyncIterable<Uint8Array>) chunks.push(chunk);
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) (out.set(c, at), at += c.length);
      return out;
    },
    prompt: prompt(stderr),
    createFile: async (path, what) => {
      const handle = await open(path, "w").catch((error) => {
        throw fileError(what, path, error);
      });
      return {
        write: async (chunk) => void (await handle.write(chunk)),
        close: () => handle.close(),
      };
    },
  };
};
