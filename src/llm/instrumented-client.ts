import type { UsageSink } from '../usage/usage-sink.ts';
import type { Accounting, CallRecord } from './call-accounting.ts';
import type { AccountedLlm, LlmClient, ToolCall } from './llm-client.ts';
import { LlmError } from './llm-error.ts';
import type { Resilience } from './resilience/resilience.ts';
import { streamDeadline } from './stream-deadline.ts';
import { countChatUsage, countTextsTokens } from './tokens/count-tokens.ts';

interface InstrumentOptions {
  resilience: Resilience;
  accounting: Accounting;
  sink: UsageSink;
  /** Per attempt: the whole reply, or the whole stream. */
  timeoutMs: number;
  /** Per attempt: until a stream's first event. */
  firstTokenTimeoutMs: number;
}

/**
 * Wraps a provider so that every call, whoever makes it, gets the resilience policies, one log
 * line per attempt, token counts (the provider's, or counted), a cost from the price table and a
 * usage event. The accounting travels back on the response so callers never recompute it.
 */
export function instrumentLlm(inner: LlmClient, options: InstrumentOptions): AccountedLlm {
  const { resilience, accounting, sink } = options;

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
      const call = accounting.begin(sink, { meta: request.meta, operation: 'chat', model });
      const limits = { timeoutMs: options.timeoutMs, signal: request.signal };
      const response = await resilient(call, model, limits, (signal) => inner.chat({ ...request, signal }));
      const usage = response.usage ?? (await countChatUsage(request, response.content, response.toolCalls));
      return { ...response, accounting: call.succeed(response.model, usage, response.usage === null) };
    },

    async *chatStream(request) {
      const model = request.model ?? inner.chatModel;
      const call = accounting.begin(sink, { meta: request.meta, operation: 'chat_stream', model });
      const deadline = streamDeadline(options.timeoutMs, request.signal);
      // Opening is retried: a stream that fails before its first event can be tried again.
      const limits = { timeoutMs: options.firstTokenTimeoutMs, signal: request.signal };
      const { iterator, first } = await resilient(call, model, limits, (signal) =>
        deadline.open(signal, async (providerSignal) => {
          const opened = inner.chatStream({ ...request, signal: providerSignal })[Symbol.asyncIterator]();
          return { iterator: opened, first: await opened.next() };
        }),
      );

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
            yield { ...event, accounting: call.succeed(event.model, usage, event.usage === null) };
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
          call.billPartial(await produced(), cause);
        }
        throw cause;
      } finally {
        deadline.end();
        if (!billed) {
          // The consumer stopped reading: stop the provider and bill what was streamed.
          deadline.stop();
          await iterator.return?.();
          call.billPartial(await produced());
        }
      }
    },

    async embed(request) {
      const model = request.model ?? inner.embeddingModel;
      const call = accounting.begin(sink, { meta: request.meta, operation: 'embed', model });
      const limits = { timeoutMs: options.timeoutMs, signal: request.signal };
      const response = await resilient(call, model, limits, (signal) => inner.embed({ ...request, signal }));
      const inputTokens = response.usage?.inputTokens ?? (await countTextsTokens(request.texts));
      const usage = { inputTokens, outputTokens: 0 };
      return { ...response, accounting: call.succeed(response.model, usage, response.usage === null) };
    },
  };
}
