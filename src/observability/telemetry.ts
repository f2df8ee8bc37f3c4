import {
  type Context,
  createNoopMeter,
  type Meter,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { createInstruments, type Instruments } from './instruments.ts';
import type { Logger } from './logger.ts';
import { createOtlpTraceExporter } from './otlp-trace-exporter.ts';
import { createRequestSpanProcessor } from './request-span-processor.ts';

/**
 * Where the active trace context lives while work awaits: an AsyncLocalStorage on both runtimes,
 * created by the entry points (`asyncContextStore(new AsyncLocalStorage())`). cairn never
 * registers OpenTelemetry's global context manager or propagator: everything goes through deps.
 */
export interface ContextStore {
  /** The context of the work running now; ROOT_CONTEXT outside any. */
  active(): Context;
  /** Runs `work` with `context` active for everything it awaits. */
  with<T>(context: Context, work: () => T): T;
}

/** Tracing and metrics, as `deps.telemetry`. */
export interface Telemetry {
  /** True when spans are recorded and exported (an OTLP traces endpoint is set). */
  readonly recording: boolean;
  /** Makes spans: the SDK's when recording, else one that only hands out ids (for traceparent and logs). */
  readonly tracer: Tracer;
  readonly context: ContextStore;
  /** The export side's meter (src/observability/metrics-export), a no-op one without it. */
  readonly meter: Meter;
  readonly instruments: Instruments;
  /** Exports the spans ended so far (Workers call it from waitUntil; tests before reading spans). */
  flush(): Promise<void>;
  /** Exports what is left and stops (Node, at shutdown). */
  shutdown(): Promise<void>;
}

/** The settings tracing reads (the OpenTelemetry SDK's own variable names). */
export interface TracingSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_HEADERS?: string | undefined;
  OTEL_SERVICE_NAME: string;
  OTEL_TRACES_SAMPLER_ARG: number;
}

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
function tracesEndpoint(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}

/** The part of AsyncLocalStorage a context store needs (`node:async_hooks` on Node and on workerd). */
interface AsyncLocal<T> {
  getStore(): T | undefined;
  run<R>(store: T, work: () => R): R;
}

/** A context store over an AsyncLocalStorage the entry point creates. */
export function asyncContextStore(storage: AsyncLocal<Context>): ContextStore {
  return {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (context, work) => storage.run(context, work),
  };
}

/** A context store for code that runs without one (tools, unit tests): nothing survives an await. */
const syncContextStore: ContextStore = {
  active: () => ROOT_CONTEXT,
  with: (_context, work) => work(),
};

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
// Ids are taken from a pool of random bytes refilled 4 KiB at a time: one call to the system's
// random source per few hundred requests instead of two per request.
const pool = new Uint8Array(4096);
let poolOffset = pool.length;
const randomHex = (bytes: number) => {
  if (poolOffset + bytes > pool.length) {
    crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  let hex = '';
  for (let i = poolOffset; i < poolOffset + bytes; i++) hex += HEX[pool[i]!];
  poolOffset += bytes;
  return hex;
};

/**
 * The tracer when nothing is exported: no span is recorded, but each request still gets a trace id
 * and span id (the caller's trace id when it sent a traceparent), so responses carry a traceparent
 * and log lines correlate. Not sampled unless the caller's was.
 */
const idOnlyTracer: Tracer = {
  startSpan(_name: string, _options?: SpanOptions, context?: Context): Span {
    const parent = context ? trace.getSpanContext(context) : undefined;
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    return trace.wrapSpanContext({
      traceId: valid ? parent.traceId : randomHex(16),
      spanId: randomHex(8),
      traceFlags: valid ? parent.traceFlags : TraceFlags.NONE,
    });
  },
  startActiveSpan(): never {
    throw new Error('startActiveSpan is not used: spans are activated through deps.telemetry.context');
  },
};

/**
 * Builds `deps.telemetry`. With an OTLP endpoint, spans are recorded by the OpenTelemetry SDK
 * (parent-based sampling at OTEL_TRACES_SAMPLER_ARG) and sent as OTLP/HTTP JSON: batched in
 * the background on Node (`export: 'batch'`), buffered until `flush()` on Workers (`'on-flush'`,
 * called from each request's waitUntil). Without one, nothing is recorded or sent.
 */
export function createTelemetry(options: {
  settings: TracingSettings;
  serviceVersion: string;
  context: ContextStore;
  logger: Logger;
  meter?: Meter;
  export: 'batch' | 'on-flush';
}): Telemetry {
  const url = tracesEndpoint(options.settings);
  if (!url) return untraced(options.context, options.meter);
  const meter = options.meter ?? createNoopMeter();
  const exporter = createOtlpTraceExporter({
    url,
    headers: options.settings.OTEL_EXPORTER_OTLP_HEADERS,
    logger: options.logger,
  });
  const processor: SpanProcessor =
    options.export === 'batch'
      ? new BatchSpanProcessor({ exporter, scheduledDelayMillis: 1000 })
      : createRequestSpanProcessor(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.settings.OTEL_SERVICE_NAME,
      'service.version': options.serviceVersion,
    }),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(options.settings.OTEL_TRACES_SAMPLER_ARG),
    }),
    spanProcessors: [processor],
  });
  return {
    recording: true,
    tracer: provider.getTracer('cairn', options.serviceVersion),
    context: options.context,
    meter,
    instruments: createInstruments(meter),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** Telemetry that records no span: ids only, metrics on `meter` (a no-op one when absent). */
function untraced(context: ContextStore, meter: Meter = createNoopMeter()): Telemetry {
  return {
    recording: false,
    tracer: idOnlyTracer,
    context,
    meter,
    instruments: createInstruments(meter),
    flush: async () => {},
    shutdown: async () => {},
  };
}

/**
 * Telemetry that records no span and keeps no context (the default of buildDeps, tools, unit
 * tests); metrics go to `meter` when given.
 */
export const noTelemetry = (meter?: Meter): Telemetry => untraced(syncContextStore, meter);
