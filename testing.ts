/**
 * The testing toolkit (`@switchyard/switchyard/testing`): HAR 1.2 recording
 * (`record`), replay (`replay`) and fault injection (`faults`). Its own entry
 * point so that the main one stays lean: these modules cost about 1.3-4 ms of
 * import on top of `mod.ts` (measured in-process, after effect).
 * `MockTransport` and its interceptors are in the main entry point; an
 * effect/http app as a transport (`HttpAppTransport`) is in
 * `@switchyard/switchyard/http-client`, which loads effect/http.
 *
 * @example Record, then replay without the server
 * ```ts
 * import { Client, MockTransport } from "@switchyard/switchyard";
 * import { record, replay } from "@switchyard/switchyard/testing";
 * const recorder = record();
 * await using live = Client.make({ transport: MockTransport.make(() => Response.json({ id: 1 })), plugins: [recorder] });
 * await (await live.fetch("http://api.test/users/1")).json();
 * await using offline = Client.make({ transport: replay({ har: recorder.har() }) });
 * console.assert((await (await offline.fetch("http://api.test/users/1")).json()).id === 1);
 * ```
 *
 * @module
 */
export { record, type Recorder, type RecordOptions } from "./plugins/record.ts";
export {
  type FaultEvent,
  type FaultMatch,
  type FaultRule,
  faults,
  type FaultsOptions,
  type FaultsPlugin,
} from "./plugins/faults.ts";
export type {
  Har,
  HarContent,
  HarCookie,
  HarEntry,
  HarNameValue,
  HarParam,
  HarPostData,
  HarRequest,
  HarResponse,
  HarTimings,
} from "./core/har.ts";
export type { HarRedactOptions } from "./core/har_redact.ts";
export type { HarSink } from "./core/har_store.ts";
export { replay, type ReplayMode, type ReplayOptions, type ReplayTransport } from "./transports/replay.ts";
export type { ReplayKeyInput, ReplayMatch } from "./transports/replay_match.ts";
