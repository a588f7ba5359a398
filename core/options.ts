/**
 * Option validation: small composable checks that either return the value
 * or throw the typed `InvalidOptions` naming the option, what was given
 * (credentials redacted) and what is allowed.
 *
 * Why not zod (the design's first choice): importing zod costs 30–50 ms of
 * cold start on Deno and Bun (bench/cold.ts), more than the whole budget for
 * importing Switchyard. These checks cover what options need in ~100 lines.
 *
 * @module
 */
import { InvalidOptions } from "./errors.ts";
import { redactText, redactUrl } from "./redact.ts";

/** Validates `value` found at option path `path`; returns it (narrowed) or throws `InvalidOptions`. */
export type Check<T> = (value: unknown, path: string) => T;

/** The class of an object for messages: `Object` for a plain or null-prototype one. */
const describeClass = (value: object): string => {
  const name: unknown = Object.getPrototypeOf(value)?.constructor?.name;
  return typeof name === "string" && name !== "" ? name : "Object";
};

/** A short, credential-free rendering of a given value for messages. */
const describeValue = (value: unknown): string => {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(redactText(redactUrl(value)).slice(0, 80));
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return `an object (${describeClass(value)})`;
  return String(value);
};

/**
 * Throws the `InvalidOptions` for `value` at `path`.
 *
 * @example
 * ```ts
 * import { fail } from "./options.ts";
 * try { fail("timeout", -1, "a positive number of milliseconds"); } catch (e) { console.log(String(e)); }
 * ```
 */
export const fail = (path: string, value: unknown, expected: string): never => {
  throw new InvalidOptions({ option: path || "options", received: describeValue(value), expected });
};

/** Accepts `undefined`, or what `check` accepts. */
export const optional = <T>(check: Check<T>): Check<T | undefined> => (value, path) =>
  value === undefined ? undefined : check(value, path);

/** A boolean. */
export const boolean: Check<boolean> = (value, path) =>
  typeof value === "boolean" ? value : fail(path, value, "true or false");

/** A string. */
export const string: Check<string> = (value, path) => typeof value === "string" ? value : fail(path, value, "a string");

/** A finite number within bounds; `integer` for whole numbers. */
export const number = (
  expected: string,
  bounds: {
    readonly min?: number;
    readonly above?: number;
    readonly max?: number;
    readonly integer?: boolean;
  } = {},
): Check<number> =>
(value, path) => {
  if (typeof value !== "number" || !Number.isFinite(value)) return fail(path, value, expected);
  if (bounds.integer && !Number.isInteger(value)) return fail(path, value, expected);
  if (bounds.min !== undefined && value < bounds.min) return fail(path, value, expected);
  if (bounds.above !== undefined && value <= bounds.above) return fail(path, value, expected);
  if (bounds.max !== undefined && value > bounds.max) return fail(path, value, expected);
  return value;
};

/**
 * The longest delay a timer can wait: `setTimeout` (on Deno, Bun and Node)
 * stores it in a signed 32-bit integer and fires at once past it, about 24.8 days.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A duration in milliseconds for a timer: positive, at most `MAX_TIMER_MS`.
 * A longer one is refused, not clamped: a timeout of a month is a unit
 * mistake (seconds for milliseconds) more often than a wish.
 *
 * @example
 * ```ts
 * import { millis } from "./options.ts";
 * millis(5_000, "timeout"); // 5000
 * try { millis(2 ** 31, "timeout"); } catch (e) { console.log(String(e)); } // InvalidOptions
 * ```
 */
export const millis: Check<number> = number(
  `a positive number of milliseconds, at most ${MAX_TIMER_MS} (about 24.8 days, the longest a timer can wait)`,
  { above: 0, max: MAX_TIMER_MS },
);

/** A function (checked for shape only: what it returns is checked when it is called). */
export const func = <T extends (...args: never[]) => unknown>(expected: string): Check<T> => (value, path) =>
  typeof value === "function" ? value as T : fail(path, value, expected);

/** A value that satisfies `guard`. */
export const custom = <T>(guard: (value: unknown) => value is T, expected: string): Check<T> => (value, path) =>
  guard(value) ? value : fail(path, value, expected);

/** An array whose items each pass `item` (a hole is checked as `undefined`). */
export const array = <T>(item: Check<T>, expected: string): Check<ReadonlyArray<T>> => (value, path) =>
  Array.isArray(value) ? Array.from(value, (v, i) => item(v, `${path}[${i}]`)) : fail(path, value, expected);

/**
 * Sets `key` on `out` as an own data property, whatever the key: with a
 * plain `out[key] = v`, `"__proto__"` would run the prototype setter on Bun
 * and Node (the key silently lost), while Deno, which removes that setter,
 * keeps it. Every runtime keeps it this way.
 */
const setOwn = (out: object, key: string, v: unknown): void => {
  Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
};

/**
 * A plain object whose values each pass `item`, copied into a null-prototype
 * object so that no key (`__proto__`, `constructor`, ...) is special.
 */
export const record = <T>(item: Check<T>, expected: string): Check<Readonly<Record<string, T>>> => (value, path) => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(path, value, expected);
  const out = Object.create(null) as Record<string, T>;
  for (const key of Object.keys(value)) {
    setOwn(out, key, item((value as Record<string, unknown>)[key], `${path}[${JSON.stringify(key)}]`));
  }
  return out;
};

/** The checked output of an object shape. */
export type Shape<S extends Record<string, Check<unknown>>> = { -readonly [K in keyof S]: ReturnType<S[K]> };

/**
 * An options object: every known key checked, an unknown key refused (a typo
 * must not be ignored silently).
 *
 * @example
 * ```ts
 * import { number, object, optional } from "./options.ts";
 * const check = object({ timeout: optional(number("a positive number", { above: 0 })) });
 * check({ timeout: 5 }, ""); // { timeout: 5 }
 * ```
 */
export const object = <S extends Record<string, Check<unknown>>>(shape: S): Check<Shape<S>> => {
  const known = Object.keys(shape);
  return (value, path) => {
    if (value === undefined) value = {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(path, value, "an object");
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(shape, key)) {
        throw new InvalidOptions({
          option: path ? `${path}.${key}` : key,
          received: "an option that does not exist",
          expected: `one of ${known.join(", ")}`,
        });
      }
    }
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of known) {
      const checked = shape[key]!(input[key], path ? `${path}.${key}` : key);
      if (checked !== undefined) setOwn(out, key, checked);
    }
    return out as Shape<S>;
  };
};
