/**
 * `-a, --auth` and `-A, --auth-type`: the `Authorization` header. Basic takes
 * `user:password` (a bare `user` is prompted for its password on a
 * terminal, never echoed); bearer takes the token. Digest needs a challenge
 * round trip: it is the `digest()` scheme of the `auth` plugin, for every
 * URL of the call.
 *
 * @module
 */
import { auth, digest, InvalidOptions, type Plugin } from "../mod.ts";
import type { AuthType } from "./args.ts";

/** Asks for a password without echoing it; `undefined` when there is no terminal to ask on. */
export type PromptSecret = (question: string) => Promise<string | undefined>;

const base64 = (text: string): string => {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
};

/** What `--auth` adds: an `Authorization` header (basic, bearer), or a plugin that answers challenges (digest). */
export interface CliAuth {
  readonly header?: string;
  readonly plugin?: Plugin;
}

/** `user:password`, asking for the password on a terminal when only `user` is given. */
const credentials = async (given: string, prompt: PromptSecret): Promise<{ user: string; password: string }> => {
  const colon = given.indexOf(":");
  if (colon >= 0) return { user: given.slice(0, colon), password: given.slice(colon + 1) };
  const password = await prompt(`password for ${given}: `);
  if (password === undefined) {
    throw new InvalidOptions({
      option: "--auth",
      received: `"${given}" without a password`,
      expected: "user:password (user: for an empty one), or run in a terminal to be asked for it",
    });
  }
  return { user: given, password };
};

/** What `--auth` / `--auth-type` (and URL userinfo) add to the call. */
export const authorization = async (
  given: string | undefined,
  type: AuthType,
  userinfo: { readonly username: string; readonly password: string } | undefined,
  prompt: PromptSecret,
): Promise<CliAuth> => {
  if (type === "bearer") {
    if (given === undefined || given === "") {
      throw new InvalidOptions({ option: "--auth", received: "nothing", expected: "the token, with -A bearer" });
    }
    return { header: `Bearer ${given}` };
  }
  const text = given ?? (userinfo ? `${userinfo.username}:${userinfo.password}` : undefined);
  if (text === undefined) {
    if (type === "digest") {
      throw new InvalidOptions({ option: "--auth", received: "nothing", expected: "user:password, with -A digest" });
    }
    return {};
  }
  const { user, password } = await credentials(text, prompt);
  if (type === "digest") return { plugin: auth({ "all://": digest(user, password) }) };
  return { header: `Basic ${base64(`${user}:${password}`)}` };
};
