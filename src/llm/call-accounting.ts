import type { UsageOperation } from '../db/tables/usage.ts';
import type { Logger } from '../observability/logger.ts';
import type { ModelUsageSink } from '../usage/usage-sink.ts';
import type { CallAccounting, CallMeta, TokenUsage } from './llm-client.ts';
import { LlmError } from './llm-error.ts';
import type { PriceTable } from './pricing/price-table.ts';

/** The bookkeeping of one model call across its attempts: log lines, the usage event, the accounting. */
export interface CallRecord {
  /** Runs one attempt, timing the provider; a failed attempt gets its log line here. */
  attempt<T>(number: number, work: () => Promise<T>): Promise<T>;
  /** Adds time spent waiting on the provider outside an attempt (the rest of a stream). */
  waited(ms: number): void;
  /** The call answered: logs it, records its usage event and returns its accounting. */
  succeed(model: string, usage: TokenUsage, estimated: boolean): CallAccounting;
  /**
   * A stream that ended before its final event, billed (estimated) for what it produced;
   * `error` is why it ended, none when the consumer stopped reading.
   */
  billPartial(usage: TokenUsage, error?: unknown): CallAccounting;
  /** The call never produced a reply: nothing billed, the failure recorded. */
  fail(error: unknown): void;
}

/** Starts the record of each model call; built once per provider. */
export interface Accounting {
  begin(
    sink: ModelUsageSink,
    call: { meta?: CallMeta; operation: UsageOperation; model: string },
  ): CallRecord;
}

const statusOf = (error: unknown) => (error instanceof LlmError ? error.kind : 'error');
const roundCost = (usd: number) => Math.round(usd * 1e10) / 1e10;
const sinceMs = (started: number) => Math.round((performance.now() - started) * 100) / 100;

export function createAccounting(options: {
  provider: string;
  prices: PriceTable;
  logger: Logger;
  now: () => Date;
}): Accounting {
  const { provider, prices } = options;
  const warnedUnpriced = new Set<string>();

  return {
    begin(sink, { meta, operation, model: requestedModel }) {
      const started = performance.now();
      const log = options.logger.child({
        request_id: meta?.requestId,
        user_id: meta?.userId,
        route: meta?.route,
        provider,
        operation,
      });
      // What every usage event of this call shares, whether it succeeds or fails.
      const event = {
        at: options.now(),
        requestId: meta?.requestId,
        serverRequestId: meta?.serverRequestId,
        userId: meta?.userId,
        route: meta?.route,
        provider,
        operation,
      };
      let attempts = 0;
      let upstreamMs = 0;
      let attemptStarted = 0;

      const bill = (model: string, usage: TokenUsage, estimated: boolean, status: string): CallAccounting => {
        const { costUsd, priced } = prices.cost(model, usage);
        log[status === 'ok' ? 'info' : 'warn']('model call', {
          model,
          attempt: attempts,
          latency_ms: sinceMs(attemptStarted),
          tokens_in: usage.inputTokens,
          tokens_out: usage.outputTokens,
          // Named without "token", which the logger treats as a secret.
          cached_in: usage.cachedInputTokens,
          reasoning_out: usage.reasoningTokens,
          usage_estimated: estimated || undefined,
          estimated_cost_usd: roundCost(costUsd),
          price_unknown: priced ? undefined : true,
          outcome: status,
        });
        if (!priced && !warnedUnpriced.has(model) && warnedUnpriced.size < 1000) {
          warnedUnpriced.add(model);
          log.warn('model has no price; its calls are recorded at cost 0', { model });
        }
        sink.record({
          ...event,
          model,
          tokensIn: usage.inputTokens,
          tokensOut: usage.outputTokens,
          cachedTokensIn: usage.cachedInputTokens ?? 0,
          reasoningTokens: usage.reasoningTokens ?? 0,
          tokensEstimated: estimated,
          costUsd,
          priced,
          latencyMs: Math.round(performance.now() - started),
          attempts,
          status,
        });
        return { provider, model, usage, tokensEstimated: estimated, costUsd, priced, upstreamMs, attempts };
      };

      return {
        async attempt(number, work) {
          attempts = number;
          attemptStarted = performance.now();
          try {
            return await work();
          } catch (error) {
            log.warn('model call', {
              model: requestedModel,
              attempt: number,
              latency_ms: sinceMs(attemptStarted),
              tokens_in: 0,
              tokens_out: 0,
              estimated_cost_usd: 0,
              outcome: statusOf(error),
              error: error instanceof Error ? error.message : String(error),
            });
            throw error;
          } finally {
            upstreamMs += performance.now() - attemptStarted;
          }
        },
        waited(ms) {
          upstreamMs += ms;
        },
        succeed: (model, usage, estimated) => bill(model, usage, estimated, 'ok'),
        billPartial: (usage, error) =>
          bill(requestedModel, usage, true, error === undefined ? 'cancelled' : statusOf(error)),
        fail(error) {
          sink.record({
            ...event,
            model: requestedModel,
            tokensIn: 0,
            tokensOut: 0,
            cachedTokensIn: 0,
            reasoningTokens: 0,
            tokensEstimated: false,
            costUsd: 0,
            priced: prices.priceOf(requestedModel) !== undefined,
            latencyMs: Math.round(performance.now() - started),
            attempts,
            status: statusOf(error),
          });
        },
      };
    },
  };
}
