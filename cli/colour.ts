/**
 * Colour: whether to use it (`NO_COLOR` wins, then `FORCE_COLOR`, then
 * `--pretty` and whether the output is a terminal), and the palette.
 *
 * @module
 */
import type { Pretty } from "./args.ts";

/** The few styles the output uses; identity functions when colour is off. */
export interface Palette {
  readonly enabled: boolean;
  readonly method: (s: string) => string;
  readonly url: (s: string) => string;
  readonly status: (status: number) => (s: string) => string;
  readonly name: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly key: (s: string) => string;
  readonly string: (s: string) => string;
  readonly number: (s: string) => string;
  readonly literal: (s: string) => string;
  readonly error: (s: string) => string;
}

const sgr = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

/** `NO_COLOR` (any non-empty value) turns colour off; `FORCE_COLOR` (non-empty, not `0`) on; else the terminal decides. */
export const wantsColour = (
  env: (name: string) => string | undefined,
  isTerminal: boolean,
  pretty: Pretty | undefined,
): boolean => {
  if (pretty === "none" || pretty === "format") return false;
  if ((env("NO_COLOR") ?? "") !== "") return false;
  const force = env("FORCE_COLOR") ?? "";
  if (force !== "" && force !== "0") return true;
  if (pretty === "colors" || pretty === "all") return isTerminal || pretty !== undefined;
  return isTerminal && env("TERM") !== "dumb";
};

/** The palette, coloured or plain. */
export const palette = (enabled: boolean): Palette =>
  enabled
    ? {
      enabled,
      method: sgr("1;32"),
      url: sgr("36"),
      status: (status) => sgr(status < 300 ? "1;32" : status < 400 ? "1;33" : "1;31"),
      name: sgr("36"),
      dim: sgr("2"),
      key: sgr("1;34"),
      string: sgr("32"),
      number: sgr("33"),
      literal: sgr("35"),
      error: sgr("1;31"),
    }
    : {
      enabled,
      method: plain,
      url: plain,
      status: () => plain,
      name: plain,
      dim: plain,
      key: plain,
      string: plain,
      number: plain,
      literal: plain,
      error: plain,
    };
