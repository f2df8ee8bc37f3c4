import type { Config } from '../../config/schema.ts';
import type {
  CallAccounting,
  CallMeta,
  ChatResponse,
  ChatStreamEvent,
  LlmClient,
} from '../../llm/llm-client.ts';
import { LlmError } from '../../llm/llm-error.ts';
import type { ChatCompletionBody } from './chat-completions.routes.ts';
import { toChatRequest } from './chat-request.ts';

type ChatDeps = { llm: LlmClient; config: Config };

/** One chat completion through the configured provider (with cairn's retries and accounting). */
export async function completeChat(
  deps: ChatDeps,
  body: ChatCompletionBody,
  meta: CallMeta,
  signal?: AbortSignal,
): Promise<ChatResponse & { accounting: CallAccounting }> {
  const response = await deps.llm.chat(toChatRequest(body, deps.config, meta, signal));
  if (!response.accounting) throw new LlmError('invalid_response', 'The model call was not accounted.');
  return { ...response, accounting: response.accounting };
}

export interface OpenedStream {
  events: AsyncIterator<ChatStreamEvent>;
  first: IteratorResult<ChatStreamEvent>;
  /** The model chunks name before the provider reports its own at the end. */
  model: string;
  /** Time spent waiting for the first event (the provider's share of the time to first byte). */
  waitedMs: number;
}

/**
 * Opens a streamed completion and waits for its first event, so that a provider failing before
 * it says anything surfaces as an ordinary error response rather than a broken stream.
 */
export async function openChatStream(
  deps: ChatDeps,
  body: ChatCompletionBody,
  meta: CallMeta,
  signal?: AbortSignal,
): Promise<OpenedStream> {
  const events = deps.llm.chatStream(toChatRequest(body, deps.config, meta, signal))[Symbol.asyncIterator]();
  const started = performance.now();
  const first = await events.next();
  // The local provider answers every model name itself and says so.
  const model = deps.llm.provider === 'local' ? deps.llm.chatModel : body.model;
  return { events, first, model, waitedMs: performance.now() - started };
}
