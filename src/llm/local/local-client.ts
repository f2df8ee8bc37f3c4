import { dataBlockText } from '../../security/spotlight.ts';
import type { ChatRequest, ChatResponse, ChatStreamEvent, LlmClient } from '../llm-client.ts';
import { composeAnswer, directAnswer, offersAgentTools } from './agent-plan.ts';
import { hashEmbed } from './hash-embedder.ts';
import { DEFAULT_SCHEMA_BOUNDS, type SchemaBounds, valueForSchema } from './schema-values.ts';
import { analyseText } from './text-analysis.ts';
import { selectToolCalls } from './tool-selection.ts';

const LOCAL_MODEL = 'local';
const LOCAL_EMBEDDING_MODEL = 'local-hash-embedding';

// The schema-shaped default for json_object requests, which name no schema.
const analysisShape = {
  type: 'object',
  properties: {
    summary: { type: 'string' },
    sentiment: { type: 'object', properties: { label: { type: 'string' }, confidence: { type: 'number' } } },
    topics: { type: 'array', items: { type: 'string' } },
    entities: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
    },
    language: { type: 'string' },
  },
};

/** The text reply: an agent request's answer from its tool results, else the extractive answer. */
const answer = (request: ChatRequest) =>
  offersAgentTools(request) ? composeAnswer(request) : directAnswer(request);

/**
 * The document a structured-output request is about: the first user message, or the text of its
 * <document> element when it is one. Later user turns (a repair request after invalid JSON, say)
 * are instructions the local heuristics cannot follow.
 */
const subject = (request: ChatRequest) => {
  const message = request.messages.find((m) => m.role === 'user')?.content ?? '';
  return dataBlockText('document', message) ?? message;
};

function structured(request: ChatRequest, bounds: SchemaBounds): string | undefined {
  const format = request.responseFormat;
  const schema =
    format?.type === 'json_schema'
      ? format.schema
      : format?.type === 'json_object'
        ? analysisShape
        : undefined;
  if (!schema) return undefined;
  return JSON.stringify(valueForSchema(schema, { analysis: analyseText(subject(request)) }, bounds));
}

let sequence = 0;
const nextId = () => `local-${Date.now().toString(36)}-${(sequence++).toString(36)}`;

/**
 * The offline, deterministic provider: hashed embeddings with real lexical similarity, extractive
 * answers from the supplied context, schema-shaped JSON from text heuristics, rule-based tool
 * selection and, for cairn's agent tools, deterministic multi-step tool use (agent-plan.ts). Its
 * `model` is always "local": it never pretends to be a large model.
 */
export function createLocalClient(options: {
  embeddingDimensions: number;
  /** What a caller's JSON Schema may make it write; DEFAULT_SCHEMA_BOUNDS when absent. */
  schemaBounds?: SchemaBounds;
}): LlmClient {
  const dims = options.embeddingDimensions;
  const bounds = options.schemaBounds ?? DEFAULT_SCHEMA_BOUNDS;
  return {
    provider: 'local',
    chatModel: LOCAL_MODEL,
    embeddingModel: LOCAL_EMBEDDING_MODEL,
    embeddingDimensions: dims,
    async chat(request): Promise<ChatResponse> {
      request.signal?.throwIfAborted();
      const calls = selectToolCalls(request, bounds);
      const calling = calls.length > 0;
      return {
        id: nextId(),
        model: LOCAL_MODEL,
        content: calling ? null : (structured(request, bounds) ?? answer(request)),
        toolCalls: calls,
        finishReason: calling ? 'tool_calls' : 'stop',
        usage: null,
      };
    },
    async *chatStream(request): AsyncIterable<ChatStreamEvent> {
      const response = await this.chat(request);
      for (const [index, call] of response.toolCalls.entries()) {
        yield { type: 'tool_call_delta', index, id: call.id, name: call.name, arguments: call.arguments };
      }
      for (const piece of (response.content ?? '').match(/\S+\s*/g) ?? [])
        yield { type: 'delta', content: piece };
      yield {
        type: 'done',
        id: response.id,
        model: LOCAL_MODEL,
        finishReason: response.finishReason,
        usage: null,
      };
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
