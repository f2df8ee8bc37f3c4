// The events of the API's streams, from the schemas the OpenAPI document gives their
// `text/event-stream` responses. An `error` event is thrown as a CairnProblemError, never yielded.
import type { components } from './generated/schema.ts';

type Schemas = components['schemas'];

/** `POST /chat` with `stream: true`: deltas of the answer, then its citations, usage and the whole answer (`done`). */
export type ChatStreamEvent = Exclude<Schemas['ChatStreamEvents'][number], { event: 'error' }>;

/**
 * `POST /agent/runs` (and `/agent/runs/{id}/approve` or `/reject`) with `stream: true`: the run as it
 * starts, each model decision, tool call and tool result, and the run as it finishes or pauses (`final`).
 */
export type AgentRunStreamEvent = Exclude<Schemas['AgentRunStreamEvents'][number], { event: 'error' }>;

/** One chunk of `POST /v1/chat/completions` with `stream: true`, in OpenAI's format. */
export type ChatCompletionChunk = Schemas['ChatCompletionChunk'];

/** A stream that is open: iterate it for its events; the response's headers are at hand. */
export interface CairnEventStream<E> extends AsyncIterable<E> {
  readonly response: Response;
}
