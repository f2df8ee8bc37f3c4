import type { ChatMessage, ChatRequest, TokenUsage, ToolCall } from '../llm-client.ts';

type Tokenizer = typeof import('gpt-tokenizer/encoding/cl100k_base');

// cl100k_base rather than o200k_base: counts differ by a few percent, and o200k's table alone
// would add ~1 MB gzipped to the Workers bundle. Imported on first use so cold starts skip it.
let tokenizer: Promise<Tokenizer> | undefined;
const load = () => {
  tokenizer ??= import('gpt-tokenizer/encoding/cl100k_base');
  return tokenizer;
};

// Text from callers may contain "<|endoftext|>"; count it as text instead of throwing.
const asText = { disallowedSpecial: new Set<string>() };

// OpenAI's documented framing overhead per chat message and per reply.
const PER_MESSAGE = 3;
const PER_REPLY = 3;

// BPE cost grows with the square of a piece's length (one 80k-character word took seconds), so
// text is tokenized in bounded pieces: cut before whitespace once a piece reaches PIECE_CHARS, and
// a run without whitespace cut every RUN_CHARS, where punctuation follows a letter or digit when
// there is such a place (the tokenizer starts a new piece there itself, as in JSON), else anywhere.
const PIECE_CHARS = 1024;
const RUN_CHARS = 256;
const LOOK_BACK = 64;
// Even linear BPE costs up to ~5 µs a character on adversarial text: one count tokenizes at most
// this many characters exactly and extrapolates the rest at the ratio it measured.
const EXACT_CHARS = 32_768;
// Characters per token assumed when nothing was counted exactly yet.
const FALLBACK_TOKENS_PER_CHAR = 0.25;

const isSpace = (code: number) =>
  code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x3000 || code === 0x2028;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
const wordChar = /[\p{L}\p{N}]/u;

/** Where to cut a run that reached `end`: the last word-to-punctuation boundary close before it. */
function runCut(text: string, start: number, end: number): number {
  for (let j = end; j > Math.max(start, end - LOOK_BACK); j--) {
    if (!wordChar.test(text[j]!) && wordChar.test(text[j - 1]!)) return j;
  }
  return isLowSurrogate(text.charCodeAt(end)) ? end - 1 : end;
}

/** `text` as consecutive pieces of bounded length, cut where tokenization is least affected. */
function* pieces(text: string): Generator<string> {
  let start = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) {
      run = 0;
      if (i - start >= PIECE_CHARS) {
        yield text.slice(start, i);
        start = i;
      }
    } else if (++run > RUN_CHARS) {
      const cut = runCut(text, Math.max(start, i - run + 1), i);
      yield text.slice(start, cut);
      start = cut;
      run = i - cut + 1;
    }
  }
  if (start < text.length) yield text.slice(start);
}

/** How much exact counting one count (a prompt, a reply, a batch of texts) may still do. */
interface Budget {
  exactLeft: number;
  chars: number;
  tokens: number;
}

const newBudget = (): Budget => ({ exactLeft: EXACT_CHARS, chars: 0, tokens: 0 });

// Exact counts of recent texts: most prompts repeat a long fixed part (a system prompt, a
// response schema, tool definitions), which is then tokenized once instead of on every call.
const CACHED_TEXTS = 64;
const CACHED_TEXT_CHARS = 16_384;
const recentCounts = new Map<string, number>();

function countWithin(count: Tokenizer['countTokens'], text: string, budget: Budget): number {
  // A text the budget covers whole is counted exactly, so a cached exact count is the same answer.
  if (text.length <= budget.exactLeft) {
    const cached = recentCounts.get(text);
    if (cached !== undefined) {
      budget.exactLeft -= text.length;
      budget.chars += text.length;
      budget.tokens += cached;
      return cached;
    }
  }
  let total = 0;
  let done = 0;
  for (const piece of pieces(text)) {
    if (budget.exactLeft <= 0) break;
    const n = count(piece, asText);
    total += n;
    done += piece.length;
    budget.exactLeft -= piece.length;
    budget.chars += piece.length;
    budget.tokens += n;
  }
  const rest = text.length - done;
  if (rest === 0) {
    if (text.length <= CACHED_TEXT_CHARS) {
      if (recentCounts.size >= CACHED_TEXTS) recentCounts.delete(recentCounts.keys().next().value!);
      recentCounts.set(text, total);
    }
    return total;
  }
  const ratio = budget.chars > 0 ? budget.tokens / budget.chars : FALLBACK_TOKENS_PER_CHAR;
  return total + Math.ceil(rest * ratio);
}

const messageText = (m: ChatMessage): string => {
  if (m.role !== 'assistant' || !m.toolCalls?.length) return m.content ?? '';
  return `${m.content ?? ''}${m.toolCalls.map((c) => `${c.name}${c.arguments}`).join('')}`;
};

/** Counts tokens synchronously once loaded (chunking counts thousands of sentences per document). */
export type CountTokens = (text: string) => number;

export async function loadTokenCounter(): Promise<CountTokens> {
  const { countTokens } = await load();
  return (text) => (text.length === 0 ? 0 : countWithin(countTokens, text, newBudget()));
}

/** Tokens in a text, as cl100k_base counts them (extrapolated beyond EXACT_CHARS). */
export async function countTextTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  return countWithin((await load()).countTokens, text, newBudget());
}

/** Tokens in several texts (an embedding batch), counted exactly up to one shared budget. */
export async function countTextsTokens(texts: readonly string[]): Promise<number> {
  const { countTokens } = await load();
  const budget = newBudget();
  let total = 0;
  for (const text of texts) total += countWithin(countTokens, text, budget);
  return total;
}

/** Estimated prompt tokens of a chat request: messages, tool definitions and the response schema. */
export async function countPromptTokens(request: ChatRequest): Promise<number> {
  const { countTokens } = await load();
  const budget = newBudget();
  let total = PER_REPLY;
  for (const message of request.messages) {
    total += PER_MESSAGE + countWithin(countTokens, messageText(message), budget);
  }
  if (request.tools?.length) total += countWithin(countTokens, JSON.stringify(request.tools), budget);
  if (request.responseFormat?.type === 'json_schema') {
    total += countWithin(countTokens, JSON.stringify(request.responseFormat.schema), budget);
  }
  return total;
}

type CalledTool = Pick<ToolCall, 'name' | 'arguments'>;

/** Estimated completion tokens of a reply: its text and any tool calls. */
export async function countCompletionTokens(
  content: string | null,
  toolCalls: CalledTool[],
): Promise<number> {
  const { countTokens } = await load();
  const budget = newBudget();
  let total = content ? countWithin(countTokens, content, budget) : 0;
  for (const call of toolCalls) total += countWithin(countTokens, `${call.name}${call.arguments}`, budget);
  return total;
}

/** A chat call's usage as cairn counts it, for a provider that reported none. */
export async function countChatUsage(
  request: ChatRequest,
  content: string | null,
  toolCalls: CalledTool[],
): Promise<TokenUsage> {
  const [inputTokens, outputTokens] = await Promise.all([
    countPromptTokens(request),
    countCompletionTokens(content, toolCalls),
  ]);
  return { inputTokens, outputTokens };
}
