import { OpenAI } from 'openai/client';
import type {
  ChatResponse,
  ChatStreamEvent,
  FinishReason,
  LlmClient,
  ModelInfo,
  TokenUsage,
} from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';
import { fromOpenAiError } from './openai-errors.ts';
import { fromOpenAiFinish, fromOpenAiToolCalls, fromOpenAiUsage, toOpenAiParams } from './openai-wire.ts';

export interface OpenAiClientOptions {
  apiKey?: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp, Azure…); unset means OpenAI. */
  baseURL?: string;
  chatModel: string;
  embeddingModel: string;
  embeddingDimensions: number;
  timeoutMs: number;
}

// Only the text-embedding-3 family can shorten its vectors on request; other servers reject the field.
const acceptsDimensions = (model: string) => /(^|\/)text-embedding-3/.test(model);

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromOpenAiError(error);
  }
}

/**
 * The provider for any OpenAI-compatible server, through the official SDK. The SDK does not
 * retry: cairn's resilience wrapper owns retries, backoff and the circuit breaker.
 */
export function createOpenAiClient(options: OpenAiClientOptions): LlmClient {
  const sdk = new OpenAI({
    // A local server needs no key, but the SDK insists on one.
    apiKey: options.apiKey ?? 'unused',
    baseURL: options.baseURL ?? null,
    organization: null,
    project: null,
    webhookSecret: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
  });
  const models: ModelInfo[] = [
    { id: options.chatModel, kind: 'chat' },
    { id: options.embeddingModel, kind: 'embedding' },
  ];

  return {
    provider: 'openai',
    chatModel: options.chatModel,
    embeddingModel: options.embeddingModel,
    embeddingDimensions: options.embeddingDimensions,

    chat: (request) =>
      guard(async (): Promise<ChatResponse> => {
        const completion = await sdk.chat.completions.create(
          { ...toOpenAiParams(request, request.model ?? options.chatModel), stream: false },
          { signal: request.signal },
        );
        const choice = completion.choices[0];
        if (!choice) throw new LlmError('invalid_response', 'The model provider returned no choices.');
        return {
          id: completion.id,
          model: completion.model,
          content: choice.message.content ?? null,
          toolCalls: fromOpenAiToolCalls(choice.message),
          finishReason: fromOpenAiFinish(choice.finish_reason),
          usage: fromOpenAiUsage(completion.usage),
        };
      }),

    async *chatStream(request): AsyncIterable<ChatStreamEvent> {
      const model = request.model ?? options.chatModel;
      const stream = await guard(() =>
        sdk.chat.completions.create(
          { ...toOpenAiParams(request, model), stream: true, stream_options: { include_usage: true } },
          { signal: request.signal },
        ),
      );
      let id = '';
      let answeredBy = model;
      let finishReason: FinishReason | undefined;
      let usage: TokenUsage | null = null;
      try {
        for await (const chunk of stream) {
          id ||= chunk.id;
          answeredBy = chunk.model || answeredBy;
          if (chunk.usage) usage = fromOpenAiUsage(chunk.usage);
          const choice = chunk.choices[0];
          if (!choice) continue;
          if (choice.finish_reason) finishReason = fromOpenAiFinish(choice.finish_reason);
          if (choice.delta.content) yield { type: 'delta', content: choice.delta.content };
          for (const call of choice.delta.tool_calls ?? []) {
            yield {
              type: 'tool_call_delta',
              index: call.index,
              id: call.id,
              name: call.function?.name,
              arguments: call.function?.arguments,
            };
          }
        }
      } catch (error) {
        const mapped = fromOpenAiError(error);
        if (mapped instanceof LlmError) throw mapped;
        // fetch reports a connection dropped mid-body as a bare TypeError ("terminated").
        throw new LlmError('connection', `The model stream broke off: ${(error as Error).message}`);
      }
      // A connection closed mid-answer ends the SDK's iteration quietly: no finish reason tells.
      if (!finishReason)
        throw new LlmError('upstream_error', 'The model stream ended before the answer finished.');
      yield { type: 'done', id, model: answeredBy, finishReason, usage };
    },

    embed: (request) =>
      guard(async () => {
        const model = request.model ?? options.embeddingModel;
        const result = await sdk.embeddings.create(
          {
            model,
            input: request.texts,
            ...(acceptsDimensions(model) ? { dimensions: options.embeddingDimensions } : {}),
          },
          { signal: request.signal },
        );
        const vectors = [...result.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
        const wrong = vectors.find((v) => v.length !== options.embeddingDimensions);
        if (vectors.length !== request.texts.length || wrong) {
          throw new LlmError(
            'invalid_response',
            `Expected ${request.texts.length} vectors of ${options.embeddingDimensions} dimensions, got ${vectors.length} of ${wrong?.length ?? options.embeddingDimensions}; set EMBEDDING_DIMENSIONS to the model's size.`,
          );
        }
        return {
          model: result.model || model,
          vectors,
          usage: result.usage ? { inputTokens: result.usage.prompt_tokens } : null,
        };
      }),

    models: () => models,
  };
}
