import type { Config } from '../../config/schema.ts';
import { validationFailed } from '../../errors.ts';
import type {
  Accounted,
  AccountedLlm,
  AccountedStreamEvent,
  ChatRequest,
  ChatResponse,
} from '../../llm/llm-client.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Telemetry } from '../../observability/telemetry.ts';
import { injectionRefused, screenText } from '../../security/injection-screen.ts';
import { type ProgramBudget, schemaLimits, schemaProblems } from '../schema-limits.ts';

type ChatDeps = { llm: AccountedLlm; config: Config; logger: Logger; telemetry: Telemetry };

/** Where a chat request's response schema sits in the request body, for problems with it. */
export const RESPONSE_SCHEMA_POINTER = '/body/response_format/json_schema/schema';

const toolPointer = (index: number) => `/body/tools/${index}/function/parameters`;

/**
 * Caller schemas (the response format's, every tool's parameters) go to the provider only within
 * the configured limits, and a forced tool choice must name one of the tools.
 */
function checkRequest(config: Config, request: ChatRequest): void {
  const limits = schemaLimits(config);
  // One pattern budget for the whole request: 128 tools do not get 128 times the compile time.
  const program: ProgramBudget = { used: 0 };
  if (request.responseFormat?.type === 'json_schema') {
    const problems = schemaProblems(request.responseFormat.schema, limits, RESPONSE_SCHEMA_POINTER, {
      program,
    });
    if (problems.length > 0) throw validationFailed('The response schema cannot be used.', problems, 422);
  }
  const tools = request.tools ?? [];
  for (const [index, tool] of tools.entries()) {
    const problems = schemaProblems(tool.parameters, limits, toolPointer(index), {
      objectRoot: false,
      program,
    });
    if (problems.length > 0) throw validationFailed("A tool's parameters cannot be used.", problems, 422);
  }
  const choice = request.toolChoice;
  if (typeof choice === 'object' && !tools.some((t) => t.name === choice.name)) {
    throw validationFailed('The tool choice names a function that is not among the tools.', [
      { pointer: '/body/tool_choice', detail: `names "${choice.name.slice(0, 64)}", which no tool defines` },
    ]);
  }
  if (choice === 'required' && tools.length === 0) {
    throw validationFailed('A tool choice of "required" needs tools.', [
      { pointer: '/body/tool_choice', detail: 'is "required" but the request defines no tools' },
    ]);
  }
}

/**
 * The caller's user messages screened for prompt injection. The caller owns its prompts, so they
 * go to the model unchanged; a flag is logged and counted, and in block mode refused.
 */
function screenUserMessages(deps: ChatDeps, request: ChatRequest): void {
  for (const [index, message] of request.messages.entries()) {
    if (message.role !== 'user') continue;
    const finding = screenText(deps, {
      text: message.content,
      source: 'input',
      route: '/v1/chat/completions',
      ref: `messages/${index}`,
    });
    if (finding?.withheld) throw injectionRefused(finding, `/body/messages/${index}/content`);
  }
}

/** One chat completion through the configured provider (with cairn's retries and accounting). */
export async function completeChat(deps: ChatDeps, request: ChatRequest): Promise<Accounted<ChatResponse>> {
  checkRequest(deps.config, request);
  screenUserMessages(deps, request);
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
  checkRequest(deps.config, request);
  screenUserMessages(deps, request);
  const events = deps.llm.chatStream(request)[Symbol.asyncIterator]();
  const started = performance.now();
  const first = await events.next();
  // The local provider answers every model name itself and says so.
  const model = deps.llm.provider === 'local' ? deps.llm.chatModel : (request.model ?? deps.llm.chatModel);
  return { events, first, model, waitedMs: performance.now() - started };
}
