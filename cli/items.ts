/**
 * HTTPie's request items, parsed: `Header:Value`, `Header:` (unset),
 * `Header;` (empty), `name==value` (query), `field=value` (a string field),
 * `field:=json` (a raw JSON field), `field@file` (a file upload), and the
 * "from a file" forms `Header:@file`, `name==@file`, `field=@file`,
 * `field:=@file`. A backslash escapes a separator (`a\=b=c` is field `a=b`).
 * Nested JSON keys: `user[name]=Ada`, `tags[]=x`, `ids[0]:=1`.
 *
 * @module
 */
import { InvalidOptions } from "../mod.ts";

/** One parsed item. */
export type Item =
  | { readonly kind: "header"; readonly name: string; readonly value: string | null }
  | { readonly kind: "query"; readonly name: string; readonly value: string }
  | { readonly kind: "data"; readonly name: string; readonly value: string }
  | { readonly kind: "json"; readonly name: string; readonly value: unknown }
  | { readonly kind: "file"; readonly name: string; readonly path: string; readonly type: string | undefined };

/** Separators, longest first: at one position the longest wins, and the earliest position wins. */
const SEPARATORS = [":=@", "==@", "=@", ":@", ":=", "==", "=", ":", "@", ";"] as const;
type Separator = typeof SEPARATORS[number];

/** Reads a file's text for an `@file` item. */
export type ReadText = (path: string) => string;

const invalid = (item: string, expected: string): never => {
  throw new InvalidOptions({ option: "request item", received: JSON.stringify(item), expected });
};

/** Splits at the first unescaped separator; the key loses its escapes. */
const split = (item: string): { key: string; separator: Separator; value: string } | undefined => {
  let key = "";
  for (let i = 0; i < item.length; i++) {
    const char = item[i]!;
    if (char === "\\" && i + 1 < item.length) {
      key += item[++i];
      continue;
    }
    const separator = SEPARATORS.find((s) => item.startsWith(s, i));
    if (separator !== undefined) return { key, separator, value: item.slice(i + separator.length) };
    key += char;
  }
  return undefined;
};

/** Whether a positional reads as an item (used to tell `METHOD URL` from `URL ITEM`). */
export const looksLikeItem = (text: string): boolean => split(text) !== undefined;

const fileName = (value: string) => {
  const typed = /^(.*);type=([\w.+-]+\/[\w.+-]+)$/.exec(value);
  return typed ? { path: typed[1]!, type: typed[2] } : { path: value, type: undefined };
};

const parseJson = (item: string, text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return invalid(item, "valid JSON after `:=` (strings need quotes: `name:='\"Ada\"'`, or use `name=Ada`)");
  }
};

/** Parses one item; `readText` reads the `@file` forms. Throws `InvalidOptions`. */
export const parseItem = (item: string, readText: ReadText): Item => {
  const parts = split(item);
  if (parts === undefined) {
    return invalid(item, "Header:Value, name==value, field=value, field:=json or field@file (see --help)");
  }
  const { key, separator, value } = parts;
  if (key === "") invalid(item, "a name before the separator");
  switch (separator) {
    case ":":
      return { kind: "header", name: key, value: value.trim() === "" ? null : value.trim() };
    case ";":
      if (value !== "") invalid(item, "`Header;` alone (an empty header), or Header:Value");
      return { kind: "header", name: key, value: "" };
    case ":@":
      return { kind: "header", name: key, value: readText(value).trim() };
    case "==":
      return { kind: "query", name: key, value };
    case "==@":
      return { kind: "query", name: key, value: readText(value).replace(/\r?\n$/, "") };
    case "=":
      return { kind: "data", name: key, value };
    case "=@":
      return { kind: "data", name: key, value: readText(value) };
    case ":=":
      return { kind: "json", name: key, value: parseJson(item, value) };
    case ":=@":
      return { kind: "json", name: key, value: parseJson(item, readText(value)) };
    case "@":
      return { kind: "file", name: key, ...fileName(value) };
  }
};

/** `user[name]` → ["user", "name"]; `tags[]` → ["tags", ""]; a malformed key stays one segment. */
const keyPath = (key: string): ReadonlyArray<string> => {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])+)$/.exec(key);
  if (!match) return [key];
  return [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
};

type Json = Record<string, unknown> | Array<unknown>;

/** Sets `value` at `key`'s path in `root` (HTTPie's nested JSON syntax). */
export const setJsonPath = (root: Record<string, unknown>, key: string, value: unknown): void => {
  const path = keyPath(key);
  let node: Json = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    const nextIsArray = !last && (path[i + 1] === "" || /^\d+$/.test(path[i + 1]!));
    const slot: string | number = Array.isArray(node)
      ? (segment === "" ? node.length : /^\d+$/.test(segment) ? Number(segment) : -1)
      : segment;
    if (slot === -1) invalid(key, `an array index or [] at "${segment}" (that level is an array)`);
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[slot] = value;
      return;
    }
    const existing = container[slot];
    if (typeof existing !== "object" || existing === null) container[slot] = nextIsArray ? [] : {};
    node = container[slot] as Json;
  }
};
