/**
 * Option validation with zod: a bad option becomes an `InvalidOptions` that
 * names the option, shows what was given (credentials redacted) and says what
 * is allowed.
 *
 * @module
 */
import type { z } from "zod";
import { InvalidOptions } from "./errors.ts";
import { redactUrl } from "./redact.ts";

/** A short, credential-free rendering of a given value for messages. */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(redactUrl(value).slice(0, 80));
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return String(value);
};

const pick = (value: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
};

/**
 * Parses `input` with `schema`; on failure throws the typed `InvalidOptions`
 * for the first issue, with the option named by its path under `prefix`.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { parseOptions } from "./options.ts";
 * const Options = z.object({ timeout: z.number().positive().optional() });
 * parseOptions(Options, { timeout: 5 }); // { timeout: 5 }
 * ```
 */
export const parseOptions = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix = "",
): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const known = "shape" in schema ? Object.keys((schema as unknown as z.ZodObject).shape) : [];
    const key = [...issue.path.map(String), issue.keys[0]].join(".");
    throw new InvalidOptions({
      option: prefix ? `${prefix}.${key}` : key,
      received: "an option that does not exist",
      expected: known.length ? `one of ${known.join(", ")}` : "no such option",
    });
  }
  const path = issue.path.map(String).join(".");
  throw new InvalidOptions({
    option: prefix && path ? `${prefix}.${path}` : prefix || path || "options",
    received: describeValue(pick(input, issue.path)),
    expected: issue.message.replace(/^Invalid input: /, "").replace(/^expected /, ""),
  });
};
