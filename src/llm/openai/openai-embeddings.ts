import { OpenAI } from 'openai/client';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai/error';
import type { EmbedResponse, LlmClient } from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';
import { fromOpenAiStatus } from './openai-errors.ts';

export interface OpenAiEmbeddingsOptions {
  apiKey?: string;
  baseURL?: string;
  embeddingModel: string;
  embeddingDimensions: number;
  timeoutMs: number;
}

// Only the text-embedding-3 family can shorten its vectors on request; other servers reject the field.
const acceptsDimensions = (model: string) => /(^|\/)text-embedding-3/.test(model);

/** Translates what the openai SDK throws into cairn's provider-neutral LlmError. */
function fromOpenAiError(error: unknown): unknown {
  if (error instanceof LlmError) return error;
  if (error instanceof APIUserAbortError) return new LlmError('aborted', 'The model call was aborted.');
  if (error instanceof APIConnectionTimeoutError)
    return new LlmError('timeout', 'The model provider timed out.');
  if (error instanceof APIConnectionError) {
    return new LlmError('connection', `The model provider could not be reached: ${error.message}`);
  }
  if (error instanceof APIError && error.status !== undefined) {
    const { headers } = error;
    return fromOpenAiStatus(error.status, error.message, (name) => headers?.get(name));
  }
  if (error instanceof OpenAIError || error instanceof SyntaxError) {
    return new LlmError(
      'invalid_response',
      `The model provider sent an unreadable response: ${error.message}`,
    );
  }
  return error;
}

/**
 * Embeddings through the official SDK. Loaded on the first embedding call (openai-client.ts):
 * the SDK is a few hundred modules that a gateway serving only chat never needs at start-up.
 */
export function createOpenAiEmbeddings(options: OpenAiEmbeddingsOptions) {
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
  return async (request: Parameters<LlmClient['embed']>[0]): Promise<EmbedResponse> => {
    try {
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
    } catch (error) {
      throw fromOpenAiError(error);
    }
  };
}
