import { httpInstrumentationMiddleware } from '@hono/otel';
import {
  createNoopMeter,
  type Context as OtelContext,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { isDatabaseUnavailable } from '../db/pg-errors.ts';
import type { DepsResolver, WaitUntil } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { Telemetry } from '../observability/telemetry.ts';
import {
  contextFromTraceparent,
  traceparentOf,
  type WorkScope,
  withScope,
} from '../observability/tracing.ts';
import { isCountedRoute } from '../usage/http-request-stats.ts';
import type { AppEnv } from './app-env.ts';
import { fromHttpException } from './error-handler.ts';
import { onStreamedBodyEnd } from './streamed-body.ts';

// Hono's getter throws where the runtime gives none (Node, app.request in tests). Building that
// error costs more than the rest of this middleware, so the cases known to have none skip it:
// no bindings at all (app.request), or @hono/node-server's (the Node request objects).
function executionContext(c: Context): WaitUntil | undefined {
  const env = c.env as { incoming?: unknown } | undefined;
  if (env === undefined || env.incoming !== undefined) return undefined;
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** The problem type slug of an error response (`cairn.problem_type`), as the error handler renders it. */
function problemType(c: Context): string | undefined {
  const status = c.res.status;
  if (status < 400) return undefined;
  const error = c.error;
  if (error instanceof AppError) return error.slug;
  if (error instanceof HTTPException) return fromHttpException(error).slug;
  if (error) return isDatabaseUnavailable(error) ? 'service-unavailable' : 'internal';
  if (status === 404) return 'not-found';
  if (status === 405) return 'method-not-allowed';
  return `http-${status}`;
}

/** Sets a header on the response the route produced, copying it only when its headers are immutable. */
function setResponseHeader(c: Context, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/**
 * @hono/otel makes the server span but finds its parent and activates its span through
 * OpenTelemetry's globals, which cairn does not register. This tracer takes the parent from
 * deps.telemetry's context store (where the request's traceparent was put) and activates the span
 * there, so the route's own spans become its children.
 */
function serverTracer(telemetry: Telemetry): Tracer {
  const startActiveSpan = (name: string, ...rest: unknown[]) => {
    const work = rest.at(-1) as (span: Span) => unknown;
    const options = typeof rest[0] === 'object' && rest.length > 1 ? (rest[0] as object) : {};
    const parent = telemetry.context.active();
    const span = telemetry.tracer.startSpan(name, options, parent);
    return telemetry.context.with(trace.setSpan(parent, span), () => work(span));
  };
  return {
    startSpan: (name, options, context) =>
      telemetry.tracer.startSpan(name, options, context ?? telemetry.context.active()),
    startActiveSpan: startActiveSpan as Tracer['startActiveSpan'],
  };
}

// One @hono/otel middleware per telemetry (once on Node, once per isolate on Workers). Its own
// duration metric is off: cairn records http.server.request.duration itself, with the problem type.
const serverSpans = new WeakMap<Telemetry, MiddlewareHandler>();
const noMeters = { getMeter: () => createNoopMeter() };
function serverSpan(telemetry: Telemetry): MiddlewareHandler {
  let middleware = serverSpans.get(telemetry);
  if (!middleware) {
    middleware = httpInstrumentationMiddleware({
      tracer: serverTracer(telemetry),
      meterProvider: noMeters,
      captureActiveRequests: false,
    });
    serverSpans.set(telemetry, middleware);
  }
  return middleware;
}

/**
 * Without export, the request still gets ids (a span that records nothing), for its traceparent
 * header and its log lines, at the cost of a few random bytes.
 */
function idOnlySpan(telemetry: Telemetry, c: Context, next: Next): Promise<void> {
  const parent = telemetry.context.active();
  const span = telemetry.tracer.startSpan(c.req.method, {}, parent);
  return telemetry.context.with(trace.setSpan(parent, span), next);
}

/**
 * Puts the deps and a request-scoped logger on the context, runs the request in its server span
 * (child of the caller's `traceparent` when it sent one, echoed as the response's `traceparent`),
 * and writes one JSON access-log line per request with its latency, status and caller, and the
 * request's duration (and model cost) metrics.
 */
export function requestContext(options: { resolveDeps: DepsResolver }): MiddlewareHandler<AppEnv> {
  return async function requestContextMiddleware(c, next) {
    const started = performance.now();
    const deps = options.resolveDeps(c.env, executionContext(c));
    const requestId = c.get('requestId');
    const logger = deps.logger.child({ request_id: requestId });
    c.set('deps', deps);
    c.set('logger', logger);
    const { telemetry } = deps;
    const scope: WorkScope = { requestId, modelCalls: 0, costUsd: 0, tokens: 0 };
    const parent: OtelContext = withScope(contextFromTraceparent(c.req.header('traceparent')), scope);

    const handle = async () => {
      await next();
      const traceparent = traceparentOf(telemetry.context.active());
      if (traceparent) setResponseHeader(c, 'traceparent', traceparent);
      const status = c.res.status;
      const route = routePath(c, -1);
      const type = problemType(c);
      const seconds = (performance.now() - started) / 1000;
      telemetry.instruments.httpServerDuration.record(seconds, {
        'http.route': route,
        'http.request.method': c.req.method,
        'http.response.status_code': status,
        ...(type ? { 'cairn.problem_type': type } : {}),
      });
      // Stored per minute for the admin overview, which must hold across instances and runtimes.
      if (isCountedRoute(route))
        deps.usage.recordRequest({
          at: deps.now(),
          method: c.req.method,
          route,
          status,
          latencyMs: seconds * 1000,
        });
      const recordCost = () => {
        if (scope.modelCalls > 0)
          telemetry.instruments.requestCost.record(scope.costUsd, { 'http.route': route });
      };
      // A streamed answer's model calls end with its body, after this middleware has returned.
      if (!onStreamedBodyEnd(c, recordCost)) recordCost();
      const fields = {
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        latency_ms: Math.round(seconds * 100_000) / 100,
        user_id: c.get('principal')?.userId,
      };
      if (status >= 500) logger.error('request', fields);
      else logger.info('request', fields);
    };
    await telemetry.context.with(parent, () =>
      telemetry.recording ? serverSpan(telemetry)(c, handle) : idOnlySpan(telemetry, c, handle),
    );
  };
}
