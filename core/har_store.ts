/**
 * Where recordings go: a HAR file, or any function. Finished entries are
 * written as they complete, the whole document each time (a HAR file is one
 * JSON value), through a temporary file renamed over the target, so the file
 * on disk is always a complete HAR. Writes are serialised and coalesced.
 *
 * On Deno, writing a file needs `--allow-write` (for its folder); reading
 * one, `--allow-read`. `node:fs/promises` is loaded on the first write or
 * read only, so importing Switchyard costs nothing for it.
 *
 * @module
 */
import { type Har, type HarEntry, harOf, readHarText } from "./har.ts";

/**
 * Receives the whole HAR document each time an entry completes.
 *
 * @example
 * ```ts
 * import type { HarSink } from "@switchyard/switchyard/testing";
 * const documents: unknown[] = [];
 * const sink: HarSink = (har) => void documents.push(har);
 * ```
 */
export type HarSink = (har: Har) => void | Promise<void>;

/**
 * A sink that writes to `path` (its folder is created if needed).
 *
 * @example
 * ```ts
 * import { fileSink } from "./har_store.ts";
 * const sink = fileSink("recordings/api.har");
 * ```
 */
export const fileSink = (path: string): HarSink => async (har) => {
  const fs = await import("node:fs/promises");
  const slash = path.lastIndexOf("/");
  if (slash > 0) await fs.mkdir(path.slice(0, slash), { recursive: true });
  const temporary = `${path}.${Date.now().toString(36)}.tmp`;
  await fs.writeFile(temporary, JSON.stringify(har, null, 2) + "\n");
  await fs.rename(temporary, path);
};

/**
 * Reads the HAR file at `path`: the document, `undefined` when there is no
 * file, or what is wrong with it (a string).
 *
 * @example
 * ```ts
 * import { readHarFile } from "./har_store.ts";
 * const found = await readHarFile("recordings/missing.har"); // undefined
 * ```
 */
export const readHarFile = async (path: string): Promise<Har | string | undefined> => {
  const fs = await import("node:fs/promises");
  let text: string;
  try {
    text = await fs.readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    return `it could not be read (${error instanceof Error ? error.message : String(error)})`;
  }
  return readHarText(text);
};

/** Entries kept in order and written to a sink as they complete. */
export class HarWriter {
  readonly #entries: Array<HarEntry>;
  readonly #sink: HarSink | undefined;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #failure: { readonly error: unknown } | undefined;

  constructor(sink: HarSink | undefined, entries: Array<HarEntry> = []) {
    this.#sink = sink;
    this.#entries = entries;
  }

  /** The entries so far, oldest first. */
  get entries(): ReadonlyArray<HarEntry> {
    return this.#entries;
  }

  /** The document so far. */
  har(): Har {
    return harOf([...this.#entries]);
  }

  /** Adds a finished entry and schedules a write. */
  add(entry: HarEntry): void {
    this.#entries.push(entry);
    if (this.#sink === undefined) return;
    this.#dirty = true;
    this.#writing ??= this.#drain();
  }

  /** Resolves when every entry added so far is written; rejects with the first write failure. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        try {
          await this.#sink!(this.har());
        } catch (error) {
          this.#failure ??= { error };
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
