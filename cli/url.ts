/**
 * The URL as typed, made absolute (HTTPie's shorthands): no scheme gets
 * `http://`; `:3000/x` is `http://localhost:3000/x`; `:/x` is
 * `http://localhost/x`; with `--app`, a bare path goes to `http://localhost`.
 * Userinfo is taken out (it becomes basic auth: `fetch` refuses a URL with
 * credentials).
 *
 * @module
 */
import { InvalidUrl } from "../mod.ts";

/** An absolute URL and the credentials that were in it. */
export interface Target {
  readonly url: URL;
  readonly userinfo: { readonly username: string; readonly password: string } | undefined;
}

const SCHEME = /^[a-zA-Z][a-zA-Z\d+.-]*:\/\//;

const absolute = (typed: string, app: boolean): string => {
  if (SCHEME.test(typed)) return typed;
  if (typed.startsWith(":")) return `http://localhost${/^:\d/.test(typed) ? typed : typed.slice(1)}`;
  if (typed.startsWith("/") && app) return `http://localhost${typed}`;
  return `http://${typed}`;
};

/** Normalises `typed`; throws `InvalidUrl` naming what was typed. */
export const normaliseUrl = (typed: string, options: { readonly app: boolean }): Target => {
  let url: URL;
  try {
    url = new URL(absolute(typed, options.app));
  } catch (cause) {
    throw new InvalidUrl({ method: "(any)", url: typed }, {
      detail: "not a URL: write example.org/path, https://example.org, :3000/path (localhost), or a /path with --app",
      cause,
    });
  }
  if (url.username === "" && url.password === "") return { url, userinfo: undefined };
  const userinfo = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  url.username = "";
  url.password = "";
  return { url, userinfo };
};
