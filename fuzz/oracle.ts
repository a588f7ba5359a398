/**
 * What the fuzz properties assert about an outcome: a value, or one of the
 * typed errors the input calls for (never a bare `TypeError`, never a
 * synchronous throw where a rejection is due), and no planted secret in
 * anything an error stores or prints.
 */
import { InvalidOptions, SwitchyardError } from "../mod.ts";
import { SECRET } from "./arbitraries.ts";

/** Fails the case (fast-check shrinks and reports it) with `what`. */
export const violated = (what: string, error?: unknown): never => {
  throw new Error(`${what}${error === undefined ? "" : `: ${describe(error)}`}`);
};

const describe = (error: unknown): string =>
  error instanceof Error
    ? `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 4).join("\n")}`
    : String(error);

/** Everything an error exposes as text. */
const textsOf = (error: SwitchyardError): string => {
  const e = error as SwitchyardError & { url?: string; detail?: string; received?: string };
  return [e.message, String(e), e.url, e.detail, e.received, e.stack?.split("\n")[0], JSON.stringify(e)].join("\n");
};

/** `error` must be a SwitchyardError of one of `classes` (any SwitchyardError when none), showing no secret. */
export const expectTyped = (
  error: unknown,
  where: string,
  ...classes: ReadonlyArray<abstract new (...args: never[]) => SwitchyardError>
): SwitchyardError => {
  if (!(error instanceof SwitchyardError)) return violated(`${where}: not a typed error`, error);
  if (classes.length > 0 && !classes.some((c) => error instanceof c)) {
    return violated(`${where}: ${error._tag}, expected ${classes.map((c) => c.name).join(" or ")}`, error);
  }
  if (textsOf(error).includes(SECRET)) violated(`${where}: the secret leaked into a ${error._tag}`, error);
  return error;
};

/** Runs a constructor: its value, or the InvalidOptions it threw (anything else fails the case). */
export const construct = <A>(where: string, make: () => A): A | InvalidOptions => {
  try {
    return make();
  } catch (error) {
    return expectTyped(error, where, InvalidOptions) as InvalidOptions;
  }
};

/** A call that must return a Promise (a synchronous throw fails the case); resolves with its value or its rejection. */
export const settle = async <A>(where: string, call: () => Promise<A>): Promise<A | unknown> => {
  let pending: Promise<A>;
  try {
    pending = call();
  } catch (error) {
    return violated(`${where}: threw synchronously instead of rejecting`, error);
  }
  if (!(pending instanceof Promise)) return violated(`${where}: did not return a Promise`);
  return await pending.then((value) => value, (error) => error);
};
