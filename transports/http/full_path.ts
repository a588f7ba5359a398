/**
 * The full path of `HttpTransport` (pool limit, retries, timeouts): still one
 * `Effect.callback` for the first attempt, driven in plain JS (pool slot,
 * phase deadlines, an abort signal only when a timeout is set); only after a
 * retryable failure does an Effect retry loop run the schedule. The caller's
 * own `request.signal` is linked to every attempt's controller, so an abort
 * reaches the network here too (the attempt's signal replaces the request's
 * inside `fetch(request, { signal })`).
 *
 * @module
 */
import { Effect, type Schedule } from "effect";
import { discardBody } from "../../core/discard_body.ts";
import { ConnectTimeout, PoolTimeout, ReadTimeout, type TransportError } from "../../core/errors.ts";
import { MAX_TIMER_MS } from "../../core/options.ts";
import {
  asEffect,
  type Failure,
  INTERRUPTED,
  type PathConfig,
  precheck,
  proxyRefusal,
  sendSafely,
  toFailure,
} from "./attempt.ts";
import { hasNoBody } from "./body.ts";
import { Deadlines } from "./deadlines.ts";
import type { Release } from "./in_flight.ts";
import type { ResolvedHttpOptions } from "./options.ts";
import { isConnectFailure, planAttempts, type Replay } from "./retry.ts";

/** One runtime read: Deno and Bun read fetch bodies in chunks of up to 64 KiB. */
const ONE_READ = 64 * 1024;
const fitsOneRead = (response: Response): boolean => {
  const length = response.headers.get("content-length");
  return length !== null && Number(length) <= ONE_READ;
};
type Phase = "pool" | "response" | "backoff" | "body";

/**
 * The deadline before the response headers, for engines that cannot see the connect phase. Each phase is at
 * most `MAX_TIMER_MS` (options.ts), their sum is capped there too: past it `setTimeout` fires at once.
 */
const preResponseMs = (t: ResolvedHttpOptions["timeout"]): number | undefined =>
  t.connect === undefined && t.read === undefined && t.write === undefined
    ? undefined
    : Math.min(MAX_TIMER_MS, (t.connect ?? 0) + (t.write ?? 0) + (t.read ?? 0));

/** One request on the full path, across its attempts. */
class Exchange {
  private phase: Phase = "pool";
  private controller: AbortController | undefined;
  private release: Release | undefined;
  private leaveQueue: (() => void) | undefined;
  private readonly deadlines = new Deadlines();
  private lastChunk = 0;
  private lastError: TransportError | undefined;
  private readonly started: number;
  private cancelled = false;
  private settled = false;
  private expired = false;
  private done = false;
  private readonly replay: Replay | undefined;
  /** The caller's signal: it aborts the attempt in flight and ends the exchange as an interruption. */
  private readonly callerSignal: AbortSignal;
  private readonly onCallerAbort = (): void => {
    this.controller?.abort(this.callerSignal.reason);
    if (this.phase === "pool") {
      this.leaveQueue?.();
      this.fail(INTERRUPTED);
    }
  };

  constructor(
    private readonly config: PathConfig,
    private readonly request: Request,
    private readonly resume: (effect: Effect.Effect<Response, TransportError>) => void,
    private readonly withSignal: boolean,
    private readonly deadline: number | undefined,
  ) {
    this.started = config.timeout.total === undefined ? 0 : Date.now();
    this.replay = config.schedule === undefined ? undefined : planAttempts(request, config.engine.bodyKind(request));
    this.callerSignal = request.signal;
  }

  start(): void {
    if (this.callerSignal.aborted) return this.fail(INTERRUPTED);
    this.callerSignal.addEventListener("abort", this.onCallerAbort, { once: true });
    const { inFlight, timeout } = this.config;
    if (timeout.total !== undefined) this.deadlines.set("total", timeout.total, () => this.onTotal());
    const release = inFlight?.tryTake();
    if (inFlight === undefined || release !== undefined) {
      this.release = release;
      return this.launch(this.replay?.next(undefined) ?? this.request, undefined);
    }
    this.leaveQueue = inFlight.wait((granted) => {
      this.leaveQueue = undefined;
      this.deadlines.clear("pool");
      // A request that got its slot after the transport closed, or after it was settled, gives it back unsent.
      if (this.settled || this.cancelled) return granted();
      if (this.config.closed.value) {
        granted();
        return this.fail(precheck(this.config, this.request)!);
      }
      this.release = granted;
      this.launch(this.replay?.next(undefined) ?? this.request, undefined);
    });
    const wait = timeout.pool;
    if (wait !== undefined) {
      this.deadlines.set("pool", wait, () => {
        this.leaveQueue?.();
        this.fail(
          new PoolTimeout(this.request, {
            detail: `all ${inFlight.size} connection slots stayed busy for ${wait} ms (limits.maxConnections)`,
          }),
        );
      });
    }
  }

  /**
   * Starts one attempt. Its outcome goes to `resume` (an attempt of the retry loop) or, for the first
   * attempt, to `onResponse` / `onError`.
   */
  private launch(
    request: Request,
    resume: ((effect: Effect.Effect<Response, TransportError>) => void) | undefined,
  ): void {
    const { engine } = this.config;
    this.phase = "response";
    const controller = this.withSignal ? new AbortController() : undefined;
    this.controller = controller;
    // An engine that times this request's phases itself (Bun's HTTP/2 engine) needs no deadline of ours.
    const deadline = engine.observesConnectOf?.(request) === true ? undefined : this.deadline;
    if (deadline !== undefined && controller !== undefined) {
      this.deadlines.set("headers", deadline, () =>
        controller.abort(
          new ReadTimeout(request, {
            detail: `no response within ${deadline} ms (timeout.connect + write + read); ${engine.name}'s fetch ` +
              "does not report when the connection is made, so the phase cannot be placed",
          }),
        ));
    }
    sendSafely(engine, request, controller?.signal ?? this.signalFor(request)).then(
      (response) => {
        this.deadlines.clear("headers");
        if (this.cancelled) return void discardBody(response);
        if (engine.proxied && response.status === 407) {
          const refusal = proxyRefusal(request, response);
          return resume === undefined ? this.onError(refusal) : resume(Effect.fail(refusal));
        }
        if (resume === undefined) this.onResponse(response);
        else resume(Effect.succeed(response));
      },
      (error) => {
        this.deadlines.clear("headers");
        if (this.cancelled) return;
        const failure = toFailure(engine, request, error, this.callerSignal.aborted);
        if (resume === undefined) this.onError(failure);
        else resume(asEffect(failure));
      },
    );
  }

  /** Without a controller of ours (no timeout), the caller's signal goes to the engine as it is. */
  private signalFor(request: Request): AbortSignal | undefined {
    return this.config.engine.wantsSignal ? request.signal : undefined;
  }

  private settle(effect: Effect.Effect<Response, TransportError>): void {
    if (this.settled) return;
    this.settled = true;
    this.resume(effect);
  }

  private fail(failure: Failure): void {
    this.finish();
    this.settle(asEffect(failure));
  }

  private onResponse(response: Response): void {
    this.settle(Effect.succeed(this.accept(response)));
  }

  private onError(failure: Failure): void {
    const { schedule, closed } = this.config;
    if (
      failure !== INTERRUPTED && schedule !== undefined && !this.expired && !closed.value &&
      this.replay!.canRetry(failure as TransportError)
    ) {
      this.deadlines.clear("total");
      return this.settle(this.retryLoop(failure as TransportError, schedule));
    }
    this.fail(failure);
  }

  /** Canceller of the first attempt (interruption). */
  cancel(): void {
    this.cancelled = true;
    this.controller?.abort(INTERRUPTED);
    this.leaveQueue?.();
    this.finish();
  }

  /** Frees the slot, the replay copies, the timers and the caller's signal; once. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.deadlines.clearAll();
    this.callerSignal.removeEventListener("abort", this.onCallerAbort);
    this.release?.();
    this.replay?.dispose();
  }

  private onTotal(): void {
    this.expired = true;
    const error = this.expiredError();
    if (this.phase === "pool") {
      this.leaveQueue?.();
      return this.fail(error);
    }
    // "response": the attempt rejects with `error`; "body": the body errors with it.
    this.controller?.abort(error);
    if (this.phase === "body") this.finish();
  }

  private expiredError(): TransportError {
    const total = this.config.timeout.total;
    const request = this.request;
    const detail = `no response within the total deadline of ${total} ms`;
    switch (this.phase) {
      case "pool":
        return new PoolTimeout(request, { detail: `${detail}, still waiting for a slot` });
      case "backoff":
        // Retried failures are connect failures unless a custom schedule says otherwise.
        if (this.lastError !== undefined && !isConnectFailure(this.lastError)) return this.lastError;
        return new ConnectTimeout(request, {
          detail: `${detail}; every connect attempt failed`,
          cause: this.lastError,
        });
      case "body":
        return new ReadTimeout(request, { detail: `the body was still arriving at the total deadline of ${total} ms` });
      default:
        return new ReadTimeout(request, { detail });
    }
  }

  /** After a retryable failure: the schedule decides, the replay supplies each attempt's request. */
  private retryLoop(
    first: TransportError,
    schedule: Schedule.Schedule<unknown, TransportError>,
  ): Effect.Effect<Response, TransportError> {
    const replay = this.replay!;
    let pending: TransportError | undefined = first;
    this.lastError = first;
    const attempt = Effect.suspend(() => {
      if (pending !== undefined) {
        // The schedule's first input is the failure that brought us here: no new send.
        const e = pending;
        pending = undefined;
        return Effect.fail(e);
      }
      // The caller gave up during the backoff: nothing more is sent.
      if (this.callerSignal.aborted) return Effect.interrupt;
      const next = replay.next(this.lastError);
      if (next === undefined) return Effect.fail(this.lastError!);
      return Effect.callback<Response, TransportError>((resume) => {
        this.launch(next, resume);
        return Effect.sync(() => {
          this.cancelled = true;
          this.controller?.abort(INTERRUPTED);
        });
      });
    });
    let loop = attempt.pipe(
      Effect.tapError((error) =>
        Effect.sync(() => {
          this.lastError = error;
          this.phase = "backoff";
        })
      ),
      Effect.retry({ schedule, while: (e: TransportError) => !this.config.closed.value && replay.canRetry(e) }),
    );
    const total = this.config.timeout.total;
    if (total !== undefined) {
      loop = loop.pipe(Effect.timeoutOrElse({
        duration: Math.max(0, total - (Date.now() - this.started)),
        orElse: () => Effect.sync(() => (this.expired = true, this.expiredError())).pipe(Effect.flatMap(Effect.fail)),
      }));
    }
    return loop.pipe(
      Effect.map((response) => this.accept(response)),
      Effect.onExit((exit) => (exit._tag === "Success" ? Effect.void : Effect.sync(() => this.finish()))),
    );
  }

  /** Hands the remaining duties (slot, timers) over to the response body. */
  private accept(response: Response): Response {
    const { engine, timeout } = this.config;
    this.phase = "body";
    this.replay?.dispose();
    const version = engine.version(this.request, response);
    if (hasNoBody(this.request, response)) {
      this.finish();
      // Patched all the same: it is the network's, with its version.
      return engine.patch(response, { request: this.request, classify: engine.classifyBody, tracked: false, version });
    }
    const controller = this.controller;
    const readMs = engine.observesConnect || controller === undefined ? undefined : timeout.read;
    if (timeout.total !== undefined && !this.deadlines.armed("total") && controller !== undefined) {
      this.deadlines.set("total", Math.max(0, timeout.total - (Date.now() - this.started)), () => this.onTotal());
    }
    // Seeing every chunk costs: on Deno a chunk-by-chunk read of a fetch body takes ~0.1-0.2 ms more CPU
    // than its one-shot text(). A body of known length that fits one read (64 KiB) arrives as one chunk,
    // so a deadline of `read` ms for all of it is the same rule; only larger or unsized bodies are tracked.
    const tracked = readMs !== undefined && !fitsOneRead(response);
    if (readMs !== undefined) {
      // One timer, re-armed lazily: a chunk only records the time.
      this.lastChunk = Date.now();
      const detail = tracked
        ? `no body data for ${readMs} ms`
        : `the body (one read) did not arrive within ${readMs} ms`;
      const check = () => {
        const idle = Date.now() - this.lastChunk;
        if (idle < readMs) return this.deadlines.set("read", readMs - idle, check);
        controller!.abort(new ReadTimeout(this.request, { detail }));
        this.finish();
      };
      this.deadlines.set("read", readMs, check);
    }
    return engine.patch(response, {
      request: this.request,
      classify: engine.classifyBody,
      tracked,
      onChunk: tracked ? () => void (this.lastChunk = Date.now()) : undefined,
      onDone: () => this.finish(),
      version,
    });
  }
}

/** The full path: pool slot, retries (with body replay), timeouts. */
export const fullHandle = (config: PathConfig): (request: Request) => Effect.Effect<Response, TransportError> => {
  const { timeout, engine } = config;
  const withSignal = engine.wantsSignal || timeout.connect !== undefined || timeout.read !== undefined ||
    timeout.write !== undefined || timeout.total !== undefined;
  const deadline = engine.observesConnect ? undefined : preResponseMs(timeout);
  return (request) => {
    const refused = precheck(config, request);
    if (refused !== undefined) return Effect.fail(refused);
    return Effect.callback<Response, TransportError>((resume) => {
      const ex = new Exchange(config, request, resume, withSignal, deadline);
      ex.start();
      return Effect.sync(() => ex.cancel());
    });
  };
};
