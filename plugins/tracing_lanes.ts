/**
 * The lanes of `tracing()` (tracing.ts), loaded with its first request.
 *
 * @module
 */
import { Clock, Context, Effect, Exit, type Fiber, Option, References, Tracer } from "effect";
import { isTransportError, type TransportError } from "../core/errors.ts";
import type { Plugin } from "../core/plugin.ts";
import { Transport } from "../core/transport.ts";
import { closeSpan, openSpan, parentFromHeaders, propagate, type Propagation } from "./span.ts";

/** The Promise lane's clock: Effect's default one (wall time in nanoseconds). */
const liveClock = Context.get(Context.empty(), Clock.Clock);

/**
 * The tracing plugin: `explicit` is the tracer of both lanes (without it the
 * Effect lane asks the fiber, and the Promise lane is the next transport's).
 *
 * @example
 * ```ts
 * import { tracingLanes } from "./tracing_lanes.ts";
 * const plugin = tracingLanes(undefined, "w3c");
 * ```
 */
export const tracingLanes = (explicit: Tracer.Tracer | undefined, how: Propagation): Plugin => {
  const plugin: Plugin = (next) => {
    /** One traced attempt on the Effect lane. */
    const traced = (request: Request, tracer: Tracer.Tracer, fiber: Fiber.Fiber<unknown, unknown>) => {
      const clock = fiber.getRef(Clock.Clock);
      const timed = fiber.getRef(References.TracerTimingEnabled);
      const now = () => (timed ? clock.currentTimeNanosUnsafe() : 0n);
      const fromFiber = Context.getOption(fiber.context, Tracer.ParentSpan);
      const span = openSpan(
        {
          tracer,
          parent: Option.isSome(fromFiber) ? fromFiber : parentFromHeaders(request),
          startTime: now(),
          annotations: fiber.getRef(References.TracerSpanAnnotations),
        },
        request,
        next,
      );
      const restore = fiber.getRef(Tracer.DisablePropagation) ? () => {} : propagate(request, span, how);
      return next.handle(request).pipe(
        Effect.withParentSpan(span, { captureStackTrace: false }),
        Effect.onExit((exit: Exit.Exit<Response, TransportError>) =>
          Effect.sync(() => {
            restore();
            closeSpan(span, request, exit, now());
          })
        ),
      );
    };
    const handle = (request: Request): Effect.Effect<Response, TransportError> =>
      Effect.withFiber((fiber) => {
        if (!fiber.getRef(References.TracerEnabled)) return next.handle(request);
        const tracer = explicit ?? fiber.getRef(Tracer.Tracer);
        if (tracer === Tracer.nativeTracer) return next.handle(request);
        return traced(request, tracer, fiber);
      });
    const wrapped = Transport.wrap(next, {
      name: "tracing",
      handle,
      fetch: (request, nextFetch) => {
        const span = openSpan(
          { tracer: explicit!, parent: parentFromHeaders(request), startTime: liveClock.currentTimeNanosUnsafe() },
          request,
          next,
        );
        const restore = propagate(request, span, how);
        return nextFetch(request).then(
          (response) => {
            restore();
            closeSpan(span, request, Exit.succeed(response), liveClock.currentTimeNanosUnsafe());
            return response;
          },
          (error) => {
            restore();
            // The caller's abort is a cancellation, not a failure (OpenTelemetry: not an error).
            const exit = isTransportError(error)
              ? Exit.fail(error)
              : request.signal.aborted
              ? Exit.interrupt()
              : Exit.die(error);
            closeSpan(span, request, exit, liveClock.currentTimeNanosUnsafe());
            throw error;
          },
        );
      },
    });
    return explicit === undefined ? { ...wrapped, fetch: next.fetch } : wrapped;
  };
  return plugin;
};
