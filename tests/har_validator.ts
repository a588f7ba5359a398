/**
 * A structural validator for HAR 1.2, written from the spec
 * (http://www.softwareishard.com/blog/har-12-spec/, mirrored as
 * ahmadnassri/har-spec versions/1.2.md): every required field present with
 * its type, optional ones typed when present, `send`/`wait`/`receive`
 * non-negative, the other timings -1 or more, `time` equal to the sum of the
 * known timings, dates in ISO 8601, request URLs absolute and without a
 * fragment, `postData` with `text` or `params`, and every field the spec does
 * not name starting with `_` (the spec's rule for custom fields).
 */

type Kind = "string" | "number" | "boolean" | "object" | "array" | "object|null";
type Field = readonly [name: string, kind: Kind, required: boolean, check?: (value: unknown, at: string) => void];

const problems: Array<string> = [];
const problem = (at: string, what: string) => void problems.push(`${at}: ${what}`);

const kindOf = (u: unknown): string => u === null ? "null" : Array.isArray(u) ? "array" : typeof u;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const iso = (value: unknown, at: string) => {
  if (typeof value === "string" && !ISO_8601.test(value)) problem(at, `not an ISO 8601 date: ${value}`);
};
const each = (fields: ReadonlyArray<Field>) => (value: unknown, at: string) => {
  if (Array.isArray(value)) value.forEach((item, i) => shape(item, `${at}[${i}]`, fields));
};
const object = (fields: ReadonlyArray<Field>) => (value: unknown, at: string) => shape(value, at, fields);

const join = (at: string, name: string) => (at === "" ? name : `${at}.${name}`);

const shape = (value: unknown, at: string, fields: ReadonlyArray<Field>): void => {
  if (kindOf(value) !== "object") return problem(at, `expected an object, got ${kindOf(value)}`);
  const record = value as Record<string, unknown>;
  const known = new Set(fields.map(([name]) => name));
  for (const key of Object.keys(record)) {
    if (!known.has(key) && !key.startsWith("_")) {
      problem(`${at}.${key}`, "not a HAR 1.2 field, and custom fields start with _");
    }
  }
  for (const [name, kind, required, check] of fields) {
    const field = record[name];
    if (field === undefined) {
      if (required) problem(join(at, name), "required, missing");
      continue;
    }
    const actual = kindOf(field);
    const ok = kind === "object|null" ? actual === "object" || actual === "null" : actual === kind;
    if (!ok) problem(join(at, name), `expected ${kind}, got ${actual}`);
    else check?.(field, join(at, name));
  }
};

const comment: Field = ["comment", "string", false];
const nameValue: ReadonlyArray<Field> = [["name", "string", true], ["value", "string", true], comment];
const cookie: ReadonlyArray<Field> = [
  ["name", "string", true],
  ["value", "string", true],
  ["path", "string", false],
  ["domain", "string", false],
  ["expires", "string", false, iso],
  ["httpOnly", "boolean", false],
  ["secure", "boolean", false],
  comment,
];
const creator: ReadonlyArray<Field> = [["name", "string", true], ["version", "string", true], comment];
const cacheState: ReadonlyArray<Field> = [
  ["expires", "string", false],
  ["lastAccess", "string", true],
  ["eTag", "string", true],
  ["hitCount", "number", true],
  comment,
];
const cacheStateOrNull = (value: unknown, at: string) => {
  if (value !== null) shape(value, at, cacheState);
};

const postData = (value: unknown, at: string) => {
  shape(value, at, [
    ["mimeType", "string", true],
    [
      "params",
      "array",
      false,
      each([
        ["name", "string", true],
        ["value", "string", false],
        ["fileName", "string", false],
        ["contentType", "string", false],
        comment,
      ]),
    ],
    ["text", "string", false],
    comment,
  ]);
  const record = value as Record<string, unknown>;
  if (record.text === undefined && record.params === undefined) problem(at, "needs `text` or `params`");
};

const absoluteUrl = (value: unknown, at: string) => {
  try {
    const url = new URL(value as string);
    if (url.hash !== "") problem(at, "a request URL must not include its fragment");
  } catch {
    problem(at, `not an absolute URL: ${value}`);
  }
};

const request: ReadonlyArray<Field> = [
  ["method", "string", true],
  ["url", "string", true, absoluteUrl],
  ["httpVersion", "string", true],
  ["cookies", "array", true, each(cookie)],
  ["headers", "array", true, each(nameValue)],
  ["queryString", "array", true, each(nameValue)],
  ["postData", "object", false, postData],
  ["headersSize", "number", true],
  ["bodySize", "number", true],
  comment,
];

const response: ReadonlyArray<Field> = [
  ["status", "number", true],
  ["statusText", "string", true],
  ["httpVersion", "string", true],
  ["cookies", "array", true, each(cookie)],
  ["headers", "array", true, each(nameValue)],
  [
    "content",
    "object",
    true,
    object([
      ["size", "number", true],
      ["compression", "number", false],
      ["mimeType", "string", true],
      ["text", "string", false],
      ["encoding", "string", false],
      comment,
    ]),
  ],
  ["redirectURL", "string", true],
  ["headersSize", "number", true],
  ["bodySize", "number", true],
  comment,
];

const timings = (value: unknown, at: string) => {
  shape(value, at, [
    ["blocked", "number", false],
    ["dns", "number", false],
    ["connect", "number", false],
    ["send", "number", true],
    ["wait", "number", true],
    ["receive", "number", true],
    ["ssl", "number", false],
    comment,
  ]);
  const t = value as Record<string, number>;
  for (const name of ["send", "wait", "receive"]) {
    if (typeof t[name] === "number" && t[name]! < 0) problem(`${at}.${name}`, "must not be negative");
  }
  for (const name of ["blocked", "dns", "connect", "ssl"]) {
    if (typeof t[name] === "number" && t[name]! < -1) problem(`${at}.${name}`, "must be -1 (not known) or more");
  }
};

const entry: ReadonlyArray<Field> = [
  ["pageref", "string", false],
  ["startedDateTime", "string", true, iso],
  ["time", "number", true],
  ["request", "object", true, object(request)],
  ["response", "object", true, object(response)],
  [
    "cache",
    "object",
    true,
    object([
      ["beforeRequest", "object|null", false, cacheStateOrNull],
      ["afterRequest", "object|null", false, cacheStateOrNull],
      comment,
    ]),
  ],
  ["timings", "object", true, timings],
  ["serverIPAddress", "string", false],
  ["connection", "string", false],
  comment,
];

const page: ReadonlyArray<Field> = [
  ["startedDateTime", "string", true, iso],
  ["id", "string", true],
  ["title", "string", true],
  ["pageTimings", "object", true, object([["onContentLoad", "number", false], ["onLoad", "number", false], comment])],
  comment,
];

/** Every way `document` departs from HAR 1.2 (empty when it conforms). */
export const validateHar = (document: unknown): Array<string> => {
  problems.length = 0;
  shape(document, "", [[
    "log",
    "object",
    true,
    object([
      ["version", "string", true, (v, at) => void (v !== "1.2" && problem(at, `expected "1.2", got ${v}`))],
      ["creator", "object", true, object(creator)],
      ["browser", "object", false, object(creator)],
      ["pages", "array", false, each(page)],
      ["entries", "array", true, each(entry)],
      comment,
    ]),
  ]]);
  const entries = (document as { log?: { entries?: Array<Record<string, unknown>> } })?.log?.entries;
  const pages = new Set(
    ((document as { log?: { pages?: Array<{ id?: string }> } })?.log?.pages ?? []).map((p) => p.id),
  );
  entries?.forEach((e, i) => {
    const t = e.timings as Record<string, number> | undefined;
    if (t !== undefined && typeof e.time === "number") {
      const sum = ["blocked", "dns", "connect", "send", "wait", "receive"]
        .map((name) => t[name])
        .filter((v): v is number => typeof v === "number" && v !== -1)
        .reduce((a, b) => a + b, 0);
      if (Math.abs(sum - e.time) > 1e-6) {
        problem(`log.entries[${i}].time`, `${e.time} is not the sum of the timings, ${sum}`);
      }
    }
    if (typeof e.pageref === "string" && !pages.has(e.pageref)) {
      problem(`log.entries[${i}].pageref`, `no page has the id ${e.pageref}`);
    }
  });
  return [...problems];
};
