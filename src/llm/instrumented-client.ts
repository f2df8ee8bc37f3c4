import { type ModelCallResult, startModelCall } from '../observability/model-calls.ts';
import type { Telemetry } from '../observability/telemetry.ts';
import type { ModelUsageSink } from '../usage/usage-sink.ts';
import type { Accounting, CallRecord } from './call-accounting.ts';
import type { AccountedLlm, CallAccounting, ChatRequest, LlmClient, ToolCall } from './llm-client.ts';
import { LlmError } from './llm-error.ts';
import type { Resilience } from './resilience/resilience.ts';
import { streamDeadline } from './stream-deadline.ts';
import { countChatUsage, countTextsTokens } from './tokens/count-tokens.ts';

interface InstrumentOptions {
  resilience: Resilience;
  accounting: Accounting;
  sink: ModelUsageSink;
  /** Per attempt: the whole reply, or the whole stream. */
  timeoutMs: number;
  /** Per attempt: until a stream's first event. */
  firstTokenTimeoutMs: number;
  telemetry: Telemetry;
  /** Bounds the model names metrics carry (src/observability/model-calls.ts). */
  modelLabel: (model: string) => string;
}

const outcomeOf = (error: unknown) => (error instanceof LlmError ? error.kind : 'error');

const resultOf = (
  accounting: CallAccounting,
  reply?: { finishReason?: string; id?: string },
): ModelCallResult => ({
  model: accounting.model,
  inputTokens: accounting.usage.inputTokens,
  outputTokens: accounting.usage.outputTokens,
  costUsd: accounting.costUsd,
  attempts: accounting.attempts,
  estimated: accounting.tokensEstimated,
  finishReason: reply?.finishReason,
  responseId: reply?.id,
});

// The request parameters the GenAI conventions name, when the caller set them.
const chatAttributes = (request: ChatRequest) => ({
  ...(request.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': request.maxTokens } : {}),
  ...(request.temperature !== undefined ? { 'gen_ai.request.temperature': request.temperature } : {}),
  ...(request.topP !== undefined ? { 'gen_ai.request.top_p': request.topP } : {}),
  ...(request.seed !== undefined ? { 'gen_ai.request.seed': request.seed } : {}),
});

/**
 * Wraps a provider so that every call, whoever makes it, gets the resilience policies, one log
 * line per attempt, token counts (the provider's, or counted), a cost from the price table, a
 * usage event, and a span and metrics (GenAI semantic conventions). The accounting travels back
 * on the response so callers never recompute it.
 */
export function instrumentLlm(inner: LlmClient, options: InstrumentOptions): AccountedLlm {
  const { resilience, accounting, sink, telemetry } = options;
  const observe = (operation: 'chat' | 'embeddings', model: string, attributes = {}) =>
    startModelCall(telemetry, {
      operation,
      provider: inner.provider,
      model,
      label: options.modelLabel,
      attributes,
    });

  /** Attempts through the timeout, retries and the provider's breaker; a final failure is recorded. */
  async function resilient<T>(
    call: CallRecord,
    model: string,
    limits: { timeoutMs: number; signal?: AbortSignal },
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    try {
      return await resilience.run(
        `${inner.provider}:${model}`,
        (signal, attempt) => call.attempt(attempt, () => work(signal)),
        limits,
      );
    } catch (error) {
      call.fail(error);
      throw error;
    }
  }

  return {
    provider: inner.provider,
    chatModel: inner.chatModel,
    embeddingModel: inner.embeddingModel,
    embeddingDimensions: inner.embeddingDimensions,
    models: () => inner.models(),

    async chat(request) {
      const model = request.model ?? inner.chatModel;
      const observed = observe('chat', model, chatAttributes(request));
      return observed.run(async () => {
        const call = accounting.begin(sink, { meta: request.meta, operation: 'chat', model });
        const limits = { timeoutMs: options.timeoutMs, signal: request.signal };
        try {
          const response = await resilient(call, model, limits, (signal) =>
            inner.chat({ ...request, signal }),
          );
          const usage =
            response.usage ?? (await countChatUsage(request, response.content, response.toolCalls));
          const accounted = call.succeed(response.model, usage, response.usage === null);
          observed.end('ok', resultOf(accounted, response));
          return { ...response, accounting: accounted };
        } catch (error) {
          observed.end(outcomeOf(error), undefined, error);
          throw error;
        }
      });
    },

    async *chatStream(request) {
      const model = request.model ?? inner.chatModel;
      const observed = observe('chat', model, { ...chatAttributes(request), 'gen_ai.request.stream': true });
      const call = accounting.begin(sink, { meta: request.meta, operation: 'chat_stream', model });
      const deadline = streamDeadline(options.timeoutMs, request.signal);
      // Opening is retried: a stream that fails before its first event can be tried again.
      const limits = { timeoutMs: options.firstTokenTimeoutMs, signal: request.signal };
      const { iterator, first } = await observed
        .run(() =>
          resilient(call, model, limits, (signal) =>
            deadline.open(signal, async (providerSignal) => {
              const opened = inner.chatStream({ ...request, signal: providerSignal })[Symbol.asyncIterator]();
              return { iterator: opened, first: await opened.next() };
            }),
          ),
        )
        .catch((error: unknown) => {
          observed.end(outcomeOf(error), undefined, error);
          throw error;
        });

      let content = '';
      const toolCalls: Pick<ToolCall, 'name' | 'arguments'>[] = [];
      const produced = () => countChatUsage(request, content, toolCalls.filter(Boolean));
      let billed = false;
      try {
        let next = first;
        while (!next.done) {
          const event = next.value;
          if (event.type === 'done') {
            const usage = event.usage ?? (await produced());
            billed = true;
            const accounted = call.succeed(event.model, usage, event.usage === null);
            observed.end('ok', resultOf(accounted, event));
            yield { ...event, accounting: accounted };
            return;
          }
          if (event.type === 'delta') content += event.content;
          else {
            const tool = toolCalls[event.index] ?? { name: '', arguments: '' };
            toolCalls[event.index] = tool;
            tool.name += event.name ?? '';
            tool.arguments += event.arguments ?? '';
          }
          yield event;
          const waitStarted = performance.now();
          next = await iterator.next();
          call.waited(performance.now() - waitStarted);
        }
        throw new LlmError('invalid_response', 'The model stream ended without a final event.');
      } catch (error) {
        const cause = deadline.explain(error);
        // A stream cut short is still billed for what it produced.
        if (!billed) {
          billed = true;
          observed.end(outcomeOf(cause), resultOf(call.billPartial(await produced(), cause)), cause);
        }
        throw cause;
      } finally {
        deadline.end();
        if (!billed) {
          // The consumer stopped reading: stop the provider and bill what was streamed.
          deadline.stop();
          await iterator.return?.();
          observed.end('cancelled', resultOf(call.billPartial(await produced())));
        }
      }
    },

    async embed(request) {
      const model = request.model ?? inner.embeddingModel;
      const observed = observe('embeddings', model, { 'cairn.embedding.inputs': request.texts.length });
      return observed.run(async () => {
        const call = accounting.begin(sink, { meta: request.meta, operation: 'embed', model });
        const limits = { timeoutMs: options.timeoutMs, signal: request.signal };
        try {
          const response = await resilient(call, model, limits, (signal) =>
            inner.embed({ ...request, signal }),
          );
          const inputTokens = response.usage?.inputTokens ?? (await countTextsTokens(request.texts));
          const usage = { inputTokens, outputTokens: 0 };
          const accounted = call.succeed(response.model, usage, response.usage === null);
          observed.end('ok', resultOf(accounted));
          return { ...response, accounting: accounted };
        } catch (error) {
          observed.end(outcomeOf(error), undefined, error);
          throw error;
        }
      });
    },
  };
}
