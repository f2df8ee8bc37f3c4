import type { Config } from '../../config/schema.ts';
import { validationFailed } from '../../errors.ts';
import type {
  Accounted,
  AccountedLlm,
  AccountedStreamEvent,
  ChatRequest,
  ChatResponse,
} from '../../llm/llm-client.ts';
import { schemaProblems } from '../schema-limits.ts';

type ChatDeps = { llm: AccountedLlm; config: Config };

/** Where a chat request's response schema sits in the request body, for problems with it. */
export const RESPONSE_SCHEMA_POINTER = '/body/response_format/json_schema/schema';

/** A caller's response schema goes to the provider only within the configured limits. */
function checkResponseSchema(config: Config, request: ChatRequest): void {
  if (request.responseFormat?.type !== 'json_schema') return;
  const problems = schemaProblems(
    request.responseFormat.schema,
    { maxBytes: config.ANALYZE_SCHEMA_MAX_BYTES, maxDepth: config.ANALYZE_SCHEMA_MAX_DEPTH },
    RESPONSE_SCHEMA_POINTER,
  );
  if (problems.length > 0) throw validationFailed('The response schema cannot be used.', problems, 422);
}

/** One chat completion through the configured provider (with cairn's retries and accounting). */
export async function completeChat(deps: ChatDeps, request: ChatRequest): Promise<Accounted<ChatResponse>> {
  checkResponseSchema(deps.config, request);
  return deps.llm.chat(request);
}

export interface OpenedStream {
  events: AsyncIterator<AccountedStreamEvent>;
  first: IteratorResult<AccountedStreamEvent>;
  /** The model chunks name before the provider reports its own at the end. */
  model: string;
  /** Time spent waiting for the first event (the provider's share of the time to first byte). */
  waitedMs: number;
}

/**
 * Opens a streamed completion and waits for its first event, so that a provider failing before
 * it says anything surfaces as an ordinary error response rather than a broken stream.
 */
export async function openChatStream(deps: ChatDeps, request: ChatRequest): Promise<OpenedStream> {
  checkResponseSchema(deps.config, request);
  const events = deps.llm.chatStream(request)[Symbol.asyncIterator]();
  const started = performance.now();
  const first = await events.next();
  // The local provider answers every model name itself and says so.
  const model = deps.llm.provider === 'local' ? deps.llm.chatModel : (request.model ?? deps.llm.chatModel);
  return { events, first, model, waitedMs: performance.now() - started };
}
