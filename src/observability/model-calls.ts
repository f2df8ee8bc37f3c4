import { type Attributes, type Context, type Span, SpanKind, trace } from '@opentelemetry/api';
import type { Telemetry } from './telemetry.ts';
import { currentScope, failSpan } from './tracing.ts';

/** What a finished model call reports (the accounting cairn billed). */
export interface ModelCallResult {
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  attempts: number;
  estimated: boolean;
  finishReason?: string | undefined;
  responseId?: string | undefined;
}

/** One model call's span and metrics; `end` once, with its result or its failure. */
export interface ModelCallTelemetry {
  /** Runs `work` with the call's span active (its log lines carry the span's id). */
  run<T>(work: () => T): T;
  end(outcome: string, result?: ModelCallResult, error?: unknown): void;
}

// Model names come from callers (/v1): past this many distinct names, metrics say "other".
const MAX_MODEL_LABELS = 100;

/** Bounds the model names metric attributes carry; one per model client (built once). */
export function modelLabels(): (model: string) => string {
  const seen = new Set<string>();
  return (model) => {
    if (seen.has(model)) return model;
    if (seen.size >= MAX_MODEL_LABELS) return 'other';
    seen.add(model);
    return model;
  };
}

/**
 * Starts the telemetry of one model call, following the OpenTelemetry GenAI semantic conventions:
 * a client span `{operation} {model}` with `gen_ai.*` attributes (tokens, response model) and the
 * cost as `cairn.cost_usd`; `gen_ai.client.operation.duration`, `cairn.model.tokens` and
 * `cairn.model.cost`; and the cost added to the request's total (`cairn.request.cost`).
 */
export function startModelCall(
  telemetry: Telemetry,
  call: {
    operation: 'chat' | 'embeddings';
    provider: string;
    model: string;
    label: (model: string) => string;
    attributes?: Attributes;
  },
): ModelCallTelemetry {
  const started = performance.now();
  const parent = telemetry.context.active();
  const scope = currentScope(telemetry.context);
  let span: Span | undefined;
  let active: Context = parent;
  if (telemetry.recording) {
    span = telemetry.tracer.startSpan(
      `${call.operation} ${call.model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': call.operation,
          'gen_ai.request.model': call.model,
          'gen_ai.provider.name': call.provider,
          'gen_ai.system': call.provider,
          ...call.attributes,
        },
      },
      parent,
    );
    active = trace.setSpan(parent, span);
  }
  let ended = false;
  // Lets the request's quota settlement wait for calls still running (usage after the response).
  let finished: (() => void) | undefined;
  if (scope) {
    scope.running ??= new Set();
    const running = scope.running;
    const pending = new Promise<void>((resolve) => {
      finished = () => {
        running.delete(pending);
        resolve();
      };
    });
    running.add(pending);
  }
  return {
    run: (work) => (span ? telemetry.context.with(active, work) : work()),
    end(outcome, result, error) {
      if (ended) return;
      ended = true;
      const { instruments } = telemetry;
      const model = call.label(call.model);
      instruments.modelDuration.record((performance.now() - started) / 1000, {
        'gen_ai.operation.name': call.operation,
        'gen_ai.request.model': model,
        'gen_ai.provider.name': call.provider,
        'cairn.outcome': outcome,
      });
      if (result) {
        instruments.modelTokens.add(result.inputTokens, {
          'gen_ai.request.model': model,
          'gen_ai.token.type': 'input',
        });
        if (result.outputTokens > 0)
          instruments.modelTokens.add(result.outputTokens, {
            'gen_ai.request.model': model,
            'gen_ai.token.type': 'output',
          });
        instruments.modelCost.add(result.costUsd, { 'gen_ai.request.model': model });
        if (scope) {
          scope.modelCalls += 1;
          scope.costUsd += result.costUsd;
          scope.tokens += result.inputTokens + result.outputTokens;
        }
      }
      finished?.();
      if (!span) return;
      if (result) {
        span.setAttributes({
          'gen_ai.response.model': result.model,
          'gen_ai.usage.input_tokens': result.inputTokens,
          'gen_ai.usage.output_tokens': result.outputTokens,
          'cairn.cost_usd': result.costUsd,
          'cairn.attempts': result.attempts,
          'cairn.usage_estimated': result.estimated,
          ...(result.finishReason ? { 'gen_ai.response.finish_reasons': [result.finishReason] } : {}),
          ...(result.responseId ? { 'gen_ai.response.id': result.responseId } : {}),
        });
      }
      if (outcome !== 'ok') span.setAttribute('error.type', outcome);
      if (error !== undefined) failSpan(span, error);
      span.end();
    },
  };
}
