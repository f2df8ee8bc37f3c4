import {
  type Attributes,
  type Context,
  createContextKey,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import type { LogFields } from './logger.ts';
import type { ContextStore, Telemetry } from './telemetry.ts';

/**
 * Who the work running now is for, kept in the active context so that every log line carries it
 * and a job stored now remembers the request that asked for it. Mutable: the user is known only
 * once auth has run, the cost only once the model has answered.
 */
export interface WorkScope {
  requestId?: string | undefined;
  userId?: string | undefined;
  jobId?: string | undefined;
  /** Model calls made for this request so far, and what they cost (`cairn.request.cost`). */
  modelCalls: number;
  costUsd: number;
  /** Their tokens, input and output together (what usage quotas settle with). */
  tokens: number;
  /** Model calls still running, each settled once ended (a stream can outlive its reader). */
  running?: Set<Promise<void>>;
}

const SCOPE = createContextKey('cairn.scope');

export const withScope = (context: Context, scope: WorkScope): Context => context.setValue(SCOPE, scope);

/** The scope of the work running now, if it runs inside a request or a job. */
export const currentScope = (store: ContextStore): WorkScope | undefined =>
  store.active().getValue(SCOPE) as WorkScope | undefined;

/** Records who the work is for once auth knows: log lines from here on carry `user_id`. */
export function bindUser(store: ContextStore, userId: string): void {
  const scope = currentScope(store);
  if (scope) scope.userId = userId;
}

/** The context an incoming W3C `traceparent` names; `base` itself when absent or malformed. */
export function contextFromTraceparent(header: string | null | undefined, base = ROOT_CONTEXT): Context {
  const parsed = header ? parseTraceParent(header) : null;
  return parsed ? trace.setSpanContext(base, { ...parsed, isRemote: true }) : base;
}

/** The W3C `traceparent` of a span (or of the active span of a context); undefined when there is none. */
export function traceparentOf(source: Span | Context): string | undefined {
  const span = 'spanContext' in source ? source : trace.getSpan(source);
  const context = span?.spanContext();
  if (!context || !trace.isSpanContextValid(context)) return undefined;
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & 1}`;
}

/**
 * The fields every log line gets from the work running now: trace and span ids, and the request,
 * user and job it runs for. Fields a logger binds itself win over these.
 */
export function correlationFields(store: ContextStore): LogFields {
  const context = store.active();
  const span = trace.getSpanContext(context);
  const scope = context.getValue(SCOPE) as WorkScope | undefined;
  const fields: LogFields = {};
  if (span && trace.isSpanContextValid(span)) {
    fields.trace_id = span.traceId;
    fields.span_id = span.spanId;
  }
  if (scope?.requestId) fields.request_id = scope.requestId;
  if (scope?.userId) fields.user_id = scope.userId;
  if (scope?.jobId) fields.job_id = scope.jobId;
  return fields;
}

/** Marks a span failed with the error that ended its work. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : undefined });
}

// What work gets for its span when spans are not recorded: every call on it does nothing.
const NOT_RECORDED = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `work` in a new span, child of the active one, which is active for everything `work` awaits;
 * the span ends when the work settles, failed if it threw. When spans are not recorded, `work` just
 * runs (with a span that ignores what it is given).
 */
export async function inSpan<T>(
  telemetry: Telemetry,
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!telemetry.recording) return work(NOT_RECORDED);
  const parent = telemetry.context.active();
  const span = telemetry.tracer.startSpan(name, options, parent);
  try {
    return await telemetry.context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A database query in a span named after its call site (`rag.search.hybrid`), never after its
 * text or parameters.
 */
export function traced<T>(
  deps: { telemetry: Telemetry },
  name: string,
  query: () => Promise<T>,
  attributes?: Attributes,
): Promise<T> {
  return inSpan(
    deps.telemetry,
    name,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', ...attributes } },
    query,
  );
}
