import type { UsageOperation } from '../db/tables/usage.ts';
import type { Logger } from '../observability/logger.ts';
import type { UsageSink } from '../usage/usage-sink.ts';
import type {
  CallAccounting,
  CallMeta,
  ChatRequest,
  ChatStreamEvent,
  LlmClient,
  TokenUsage,
} from './llm-client.ts';
import { LlmError } from './llm-error.ts';
import type { PriceTable } from './pricing/price-table.ts';
import type { Resilience } from './resilience/resilience.ts';
import { countCompletionTokens, countPromptTokens, countTextTokens } from './tokens/count-tokens.ts';

export interface InstrumentOptions {
  resilience: Resilience;
  prices: PriceTable;
  logger: Logger;
  sink: UsageSink;
  /** Per attempt: the whole reply, or the whole stream. */
  timeoutMs: number;
  /** Per attempt: until a stream's first event. */
  firstTokenTimeoutMs: number;
  now: () => Date;
}

type Done = Extract<ChatStreamEvent, { type: 'done' }>;

const statusOf = (error: unknown) => (error instanceof LlmError ? error.kind : 'error');
const roundCost = (usd: number) => Math.round(usd * 1e10) / 1e10;

/**
 * Wraps a provider so that every call, whoever makes it, gets the resilience policies, one log
 * line per attempt, token counts (the provider's, or counted), a cost from the price table and a
 * usage event. The accounting travels back on the response so callers never recompute it.
 */
export function instrumentLlm(inner: LlmClient, options: InstrumentOptions): LlmClient {
  const { resilience, prices, sink } = options;
  const warnedUnpriced = new Set<string>();

  /** The bookkeeping of one logical call across its attempts. */
  function begin(meta: CallMeta | undefined, operation: UsageOperation, requestedModel: string) {
    const started = performance.now();
    const at = options.now();
    const log = options.logger.child({
      request_id: meta?.requestId,
      user_id: meta?.userId,
      route: meta?.route,
      provider: inner.provider,
      operation,
    });
    // What every usage event of this call shares, whether it succeeds or fails.
    const event = {
      at,
      requestId: meta?.requestId,
      userId: meta?.userId,
      route: meta?.route,
      provider: inner.provider,
      operation,
    };
    let attempts = 0;
    let upstreamMs = 0;
    let attemptStarted = 0;

    const finish = (model: string, usage: TokenUsage, estimated: boolean, status: string): CallAccounting => {
      const { costUsd, priced } = prices.cost(model, usage);
      const latencyMs = Math.round(performance.now() - started);
      log[status === 'ok' ? 'info' : 'warn']('model call', {
        model,
        attempt: attempts,
        latency_ms: Math.round((performance.now() - attemptStarted) * 100) / 100,
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
        latencyMs,
        attempts,
        status,
      });
      return {
        provider: inner.provider,
        model,
        usage,
        tokensEstimated: estimated,
        costUsd,
        priced,
        upstreamMs,
        attempts,
      };
    };

    return {
      /** Runs one attempt, timing the provider and logging the attempt if it fails. */
      async attempt<T>(number: number, work: () => Promise<T>): Promise<T> {
        attempts = number;
        attemptStarted = performance.now();
        try {
          return await work();
        } catch (error) {
          log.warn('model call', {
            model: requestedModel,
            attempt: number,
            latency_ms: Math.round((performance.now() - attemptStarted) * 100) / 100,
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
      /** Adds time spent waiting on the provider outside an attempt (the rest of a stream). */
      waited(ms: number) {
        upstreamMs += ms;
      },
      succeed: (model: string, usage: TokenUsage, estimated: boolean) =>
        finish(model, usage, estimated, 'ok'),
      end: finish,
      /** A call that never produced a reply: nothing billed, the failure recorded. */
      fail(error: unknown) {
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
  }

  const breakerKey = (model: string) => `${inner.provider}:${model}`;

  /** One non-streaming call through timeout, retries and the breaker; a final failure is recorded. */
  async function runResilient<T>(
    call: ReturnType<typeof begin>,
    requestedModel: string,
    callerSignal: AbortSignal | undefined,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    try {
      return await resilience.run(
        breakerKey(requestedModel),
        (signal, attempt) => call.attempt(attempt, () => work(signal)),
        { timeoutMs: options.timeoutMs, signal: callerSignal },
      );
    } catch (error) {
      call.fail(error);
      throw error;
    }
  }

  async function estimate(
    request: ChatRequest,
    content: string | null,
    toolCalls: { name: string; arguments: string }[],
  ) {
    const [inputTokens, outputTokens] = await Promise.all([
      countPromptTokens(request),
      countCompletionTokens(
        content,
        toolCalls.map((c, i) => ({ id: String(i), ...c })),
      ),
    ]);
    return { inputTokens, outputTokens };
  }

  return {
    provider: inner.provider,
    chatModel: inner.chatModel,
    embeddingModel: inner.embeddingModel,
    embeddingDimensions: inner.embeddingDimensions,
    models: () => inner.models(),

    async chat(request) {
      const requested = request.model ?? inner.chatModel;
      const call = begin(request.meta, 'chat', requested);
      const response = await runResilient(call, requested, request.signal, (signal) =>
        inner.chat({ ...request, signal }),
      );
      const usage = response.usage ?? (await estimate(request, response.content, response.toolCalls));
      return { ...response, accounting: call.succeed(response.model, usage, response.usage === null) };
    },

    async *chatStream(request) {
      const requested = request.model ?? inner.chatModel;
      const call = begin(request.meta, 'chat_stream', requested);
      const controller = new AbortController();
      const cancel = () => controller.abort(request.signal?.reason);
      request.signal?.addEventListener('abort', cancel, { once: true });
      let timedOut = false;
      let timer: ReturnType<typeof setTimeout> | undefined;

      // Opening is retried: a stream that fails before its first event can be tried again.
      const open = async (signal: AbortSignal) => {
        const attemptController = new AbortController();
        const relay = () => attemptController.abort();
        signal.addEventListener('abort', relay, { once: true });
        controller.signal.addEventListener('abort', relay, { once: true });
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          attemptController.abort();
        }, options.timeoutMs);
        const iterator = inner
          .chatStream({ ...request, signal: attemptController.signal })
          [Symbol.asyncIterator]();
        try {
          return { iterator, first: await iterator.next() };
        } catch (error) {
          clearTimeout(timer);
          throw error;
        } finally {
          signal.removeEventListener('abort', relay);
        }
      };

      let opened: Awaited<ReturnType<typeof open>>;
      try {
        opened = await resilience.run(
          breakerKey(requested),
          (signal, attempt) => call.attempt(attempt, () => open(signal)),
          { timeoutMs: options.firstTokenTimeoutMs, signal: request.signal },
        );
      } catch (error) {
        request.signal?.removeEventListener('abort', cancel);
        call.fail(error);
        throw error;
      }

      const { iterator } = opened;
      let content = '';
      const toolCalls: { name: string; arguments: string }[] = [];
      let settled = false;
      const settlePartial = async (status: string) => {
        settled = true;
        const usage = await estimate(request, content, toolCalls);
        call.end(requested, usage, true, status);
      };
      try {
        let next = opened.first;
        let done: Done | undefined;
        while (!next.done) {
          const event = next.value;
          if (event.type === 'done') {
            done = event;
            break;
          }
          if (event.type === 'delta') content += event.content;
          else {
            toolCalls[event.index] ??= { name: '', arguments: '' };
            toolCalls[event.index]!.name += event.name ?? '';
            toolCalls[event.index]!.arguments += event.arguments ?? '';
          }
          yield event;
          const waitStarted = performance.now();
          next = await iterator.next();
          call.waited(performance.now() - waitStarted);
        }
        if (!done) throw new LlmError('invalid_response', 'The model stream ended without a final event.');
        const usage = done.usage ?? (await estimate(request, content, toolCalls.filter(Boolean)));
        settled = true;
        yield { ...done, accounting: call.succeed(done.model, usage, done.usage === null) };
      } catch (error) {
        const mapped = timedOut
          ? new LlmError('timeout', `The model stream did not finish within ${options.timeoutMs} ms.`)
          : request.signal?.aborted
            ? new LlmError('aborted', 'The caller abandoned the model stream.')
            : error;
        // A stream cut short is still billed for what it produced.
        if (!settled) await settlePartial(statusOf(mapped));
        throw mapped;
      } finally {
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', cancel);
        if (!settled) {
          // The consumer stopped reading: stop the provider and bill what was streamed.
          controller.abort();
          await iterator.return?.();
          await settlePartial('cancelled');
        }
      }
    },

    async embed(request) {
      const requested = request.model ?? inner.embeddingModel;
      const call = begin(request.meta, 'embed', requested);
      const response = await runResilient(call, requested, request.signal, (signal) =>
        inner.embed({ ...request, signal }),
      );
      const inputTokens =
        response.usage?.inputTokens ??
        (await Promise.all(request.texts.map(countTextTokens))).reduce((a, b) => a + b, 0);
      const usage = { inputTokens, outputTokens: 0 };
      return { ...response, accounting: call.succeed(response.model, usage, response.usage === null) };
    },
  };
}
