/**
 * The request the command line describes: method, URL with its query items,
 * headers (defaults, `-H`, header items, auth) and the body, as bytes (so
 * that `--verbose`, `--offline` and `--har` show exactly what is sent).
 *
 * @module
 */
import { InvalidOptions, type Plugin } from "../mod.ts";
import type { CliArgs } from "./args.ts";
import { authorization, type PromptSecret } from "./auth.ts";
import { type Item, parseItem, setJsonPath } from "./items.ts";
import type { Target } from "./url.ts";
import { VERSION } from "./version.ts";

/** The request, ready to send or to print. */
export interface Prepared {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: Uint8Array | undefined;
  /** Plugins the request needs (digest authentication answers the server's challenge). */
  readonly plugins: ReadonlyArray<Plugin>;
}

/** What building a request may read: files for `@` items and `--raw @file`, stdin for `--raw @-`. */
export interface Inputs {
  readonly readBytes: (path: string, what: string) => Uint8Array;
  readonly readStdin: () => Promise<Uint8Array>;
  readonly prompt: PromptSecret;
}

const JSON_ACCEPT = "application/json, */*;q=0.5";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const refuse = (option: string, received: string, expected: string): never => {
  throw new InvalidOptions({ option, received, expected });
};

const setHeader = (headers: Headers, name: string, value: string | null, from: string): void => {
  if (value !== null && /[\r\n\0]/.test(value)) {
    refuse(from, `a value with CR, LF or NUL for ${JSON.stringify(name)}`, "a header value on one line");
  }
  try {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  } catch {
    refuse(from, JSON.stringify(name), "a header name made of token characters (letters, digits, -_.!#$%&'*+^`|~)");
  }
};

/** `-H 'Name: Value'`. */
const flagHeader = (text: string): { name: string; value: string | null } => {
  const colon = text.indexOf(":");
  if (colon <= 0) refuse("--header", JSON.stringify(text), "'Name: Value' (or the item Name:Value)");
  const value = text.slice(colon + 1).trim();
  return { name: text.slice(0, colon).trim(), value: value === "" ? null : value };
};

const rawBody = async (raw: string, inputs: Inputs): Promise<Uint8Array> => {
  if (raw === "@-") return await inputs.readStdin();
  if (raw.startsWith("@")) return inputs.readBytes(raw.slice(1), "--raw");
  return encoder.encode(raw);
};

/** A multipart body, serialised by the platform so the bytes and the boundary are the ones sent. */
const multipart = async (fields: ReadonlyArray<Item>, inputs: Inputs): Promise<{ body: Uint8Array; type: string }> => {
  const form = new FormData();
  for (const item of fields) {
    if (item.kind === "data") form.append(item.name, item.value);
    else if (item.kind === "file") {
      const bytes = inputs.readBytes(item.path, `request item ${item.name}@${item.path}`);
      const name = item.path.split(/[\\/]/).pop()!;
      form.append(item.name, new Blob([bytes as BlobPart], { type: item.type ?? "application/octet-stream" }), name);
    }
  }
  const serialised = new Response(form);
  // Read the type first: Bun drops it from the headers once the body is read.
  const type = serialised.headers.get("content-type")!;
  return { body: new Uint8Array(await serialised.arrayBuffer()), type };
};

/** The body from the data, JSON and file items, per the body mode; and its content type. */
const itemsBody = async (
  args: CliArgs,
  fields: ReadonlyArray<Item>,
  inputs: Inputs,
): Promise<{ body: Uint8Array; type: string } | undefined> => {
  if (fields.length === 0) return undefined;
  const files = fields.filter((f) => f.kind === "file");
  if (args.bodyMode === "json") {
    if (files.length > 0) {
      const f = files[0] as Extract<Item, { kind: "file" }>;
      refuse("request item", JSON.stringify(`${f.name}@${f.path}`), "--form or --multipart to upload a file");
    }
    const object: Record<string, unknown> = {};
    for (const f of fields) if (f.kind === "data" || f.kind === "json") setJsonPath(object, f.name, f.value);
    return { body: encoder.encode(JSON.stringify(object)), type: "application/json" };
  }
  const json = fields.find((f) => f.kind === "json");
  if (json !== undefined) refuse("request item", JSON.stringify(`${json.name}:=...`), "name=value with --form");
  if (args.bodyMode === "multipart" || files.length > 0) return await multipart(fields, inputs);
  const params = new URLSearchParams();
  for (const f of fields) if (f.kind === "data") params.append(f.name, f.value);
  return { body: encoder.encode(params.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
};

/** Builds the request; throws `InvalidOptions` for any bad input. */
export const prepare = async (args: CliArgs, target: Target, inputs: Inputs): Promise<Prepared> => {
  const readText = (path: string) => decoder.decode(inputs.readBytes(path, "request item"));
  const items = args.items.map((text) => parseItem(text, readText));
  const url = new URL(target.url);
  for (const item of items) if (item.kind === "query") url.searchParams.append(item.name, item.value);

  const fields = items.filter((i) => i.kind === "data" || i.kind === "json" || i.kind === "file");
  if (args.raw !== undefined && fields.length > 0) {
    refuse("--raw", "a raw body and data items", "one of them: --raw TEXT, or field=value items");
  }
  const fromItems = await itemsBody(args, fields, inputs);
  const body = args.raw !== undefined ? await rawBody(args.raw, inputs) : fromItems?.body;

  const jsonish = args.bodyMode === "json" && (args.json || fromItems !== undefined);
  const headers = new Headers({ "user-agent": `switchyard/${VERSION}`, accept: jsonish ? JSON_ACCEPT : "*/*" });
  if (fromItems !== undefined) headers.set("content-type", fromItems.type);
  else if (args.raw !== undefined && args.json) headers.set("content-type", "application/json");
  const auth = await authorization(args.auth, args.authType, target.userinfo, inputs.prompt);
  if (auth.header !== undefined) headers.set("authorization", auth.header);
  for (const text of args.headers) {
    const { name, value } = flagHeader(text);
    setHeader(headers, name, value, "--header");
  }
  for (const item of items) if (item.kind === "header") setHeader(headers, item.name, item.value, "request item");

  const method = args.method ?? (body === undefined ? "GET" : "POST");
  if ((method === "GET" || method === "HEAD") && body !== undefined) {
    refuse("method", `${method} with a body`, "POST, PUT, PATCH, ... (fetch cannot send a body with GET or HEAD)");
  }
  return { method, url, headers, body, plugins: auth.plugin === undefined ? [] : [auth.plugin] };
};
