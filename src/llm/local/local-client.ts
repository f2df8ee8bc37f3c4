import type { ChatRequest, ChatResponse, ChatStreamEvent, LlmClient } from '../llm-client.ts';
import { extractiveAnswer } from './extractive-answer.ts';
import { hashEmbed } from './hash-embedder.ts';

export const LOCAL_MODEL = 'local';
export const LOCAL_EMBEDDING_MODEL = 'local-hash-embedding';

const NO_ANSWER = 'The provided context does not contain the answer.';

function reply(request: ChatRequest): string {
  const question = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const context = request.messages
    .filter((m) => m.role === 'system' || m.role === 'tool')
    .map((m) => m.content ?? '')
    .join('\n\n');
  return extractiveAnswer(question, context) ?? NO_ANSWER;
}

let sequence = 0;
const nextId = () => `local-${Date.now().toString(36)}-${(sequence++).toString(36)}`;

/**
 * The offline, deterministic provider: hashed embeddings with real lexical similarity and
 * extractive answers from the supplied context. Its `model` is always "local".
 */
export function createLocalClient(options: { embeddingDimensions: number }): LlmClient {
  const dims = options.embeddingDimensions;
  return {
    provider: 'local',
    chatModel: LOCAL_MODEL,
    embeddingModel: LOCAL_EMBEDDING_MODEL,
    embeddingDimensions: dims,
    async chat(request): Promise<ChatResponse> {
      request.signal?.throwIfAborted();
      return {
        id: nextId(),
        model: LOCAL_MODEL,
        content: reply(request),
        toolCalls: [],
        finishReason: 'stop',
        usage: null,
      };
    },
    async *chatStream(request): AsyncIterable<ChatStreamEvent> {
      const response = await this.chat(request);
      for (const piece of (response.content ?? '').match(/\S+\s*/g) ?? [])
        yield { type: 'delta', content: piece };
      yield { type: 'done', id: response.id, model: LOCAL_MODEL, finishReason: 'stop', usage: null };
    },
    async embed(request) {
      request.signal?.throwIfAborted();
      return {
        model: LOCAL_EMBEDDING_MODEL,
        vectors: request.texts.map((t) => hashEmbed(t, dims)),
        usage: null,
      };
    },
    models: () => [
      { id: LOCAL_MODEL, kind: 'chat' },
      { id: LOCAL_EMBEDDING_MODEL, kind: 'embedding' },
    ],
  };
}
