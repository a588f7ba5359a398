/**
 * `-a, --auth` and `-A, --auth-type`: the `Authorization` header. Basic takes
 * `user:password` (a bare `user` is prompted for its password on a
 * terminal, never echoed); bearer takes the token. Digest needs a challenge
 * round trip, which is the `digest()` plugin's job: until that plugin is in
 * the package, `--auth-type digest` is a typed refusal.
 *
 * @module
 */
import { InvalidOptions } from "../mod.ts";
import type { AuthType } from "./args.ts";

/** Asks for a password without echoing it; `undefined` when there is no terminal to ask on. */
export type PromptSecret = (question: string) => Promise<string | undefined>;

const base64 = (text: string): string => {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/** The `Authorization` value for `--auth`, or `undefined` when there is none. */
export const authorization = async (
  auth: string | undefined,
  type: AuthType,
  userinfo: { readonly username: string; readonly password: string } | undefined,
  prompt: PromptSecret,
): Promise<string | undefined> => {
  if (type === "digest") {
    // TODO(merge): when plugins/digest.ts lands, install `digest({ username, password })` instead of refusing.
    throw new InvalidOptions({
      option: "--auth-type",
      received: '"digest"',
      expected: "basic or bearer: digest needs the digest() plugin, which this build of switchyard does not have yet",
    });
  }
  if (type === "bearer") {
    if (auth === undefined || auth === "") {
      throw new InvalidOptions({ option: "--auth", received: "nothing", expected: "the token, with -A bearer" });
    }
    return `Bearer ${auth}`;
  }
  const given = auth ?? (userinfo ? `${userinfo.username}:${userinfo.password}` : undefined);
  if (given === undefined) return undefined;
  const colon = given.indexOf(":");
  if (colon >= 0) return `Basic ${base64(given)}`;
  const password = await prompt(`password for ${given}: `);
  if (password === undefined) {
    throw new InvalidOptions({
      option: "--auth",
      received: `"${given}" without a password`,
      expected: "user:password (user: for an empty one), or run in a terminal to be asked for it",
    });
  }
  return `Basic ${base64(`${given}:${password}`)}`;
};
