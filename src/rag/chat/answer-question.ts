import type { Deps } from '../../deps.ts';
import type { CallMeta, ChatMessage, TokenUsage } from '../../llm/llm-client.ts';
import { traced } from '../../observability/tracing.ts';
import { injectionRefused, screening, screenText } from '../../security/injection-screen.ts';
import type { InjectionFinding } from '../../security/security.schemas.ts';
import {
  type Citation,
  findConversation,
  recentMessages,
  recordExchange,
} from '../conversations/conversation-store.ts';
import {
  type IndexVersionRef,
  type SearchHit,
  type SearchPage,
  searchChunks,
} from '../search/search-chunks.ts';
import {
  buildContext,
  type ChatContext,
  NO_CONTEXT_ANSWER,
  sourceTitle,
  systemPrompt,
} from './build-context.ts';
import { citedSources } from './cite.ts';

// Earlier turns given to the model with a follow-up question.
const HISTORY_MESSAGES = 6;

export interface ChatInput {
  ownerId: string;
  question: string;
  conversationId?: string | undefined;
  topK?: number | undefined;
  documentIds?: string[] | undefined;
  metadata?: Record<string, unknown> | undefined;
  meta: CallMeta;
}

export interface ChatResult {
  conversationId: string;
  messageId: number;
  answer: string;
  grounded: boolean;
  citations: Citation[];
  model: string;
  usage: TokenUsage | null;
  indexVersion: IndexVersionRef;
  context: { chunks: number; retrieved: number; tokens: number; budget: number };
  /** What the injection detector flagged (the question, chunks); undefined when detection is off. */
  security: InjectionFinding[] | undefined;
}

export type ChatEvent = { type: 'delta'; content: string } | { type: 'done'; result: ChatResult };

interface Prepared {
  page: SearchPage;
  context: ChatContext;
  messages: ChatMessage[];
  security: InjectionFinding[] | undefined;
}

/**
 * The retrieved chunks screened for prompt injection, each once: in block mode the flagged ones
 * are left out before the context is built, so the budget goes to the others.
 */
function screenHits(deps: Deps, hits: SearchHit[]): { hits: SearchHit[]; findings: InjectionFinding[] } {
  const findings: InjectionFinding[] = [];
  const kept = hits.filter((hit) => {
    // The title reaches the model too (the source's title attribute), so it is screened with the text.
    const finding = screenText(deps, {
      text: `${sourceTitle(hit)}\n\n${hit.text}`,
      source: 'document',
      route: '/chat',
      ref: String(hit.chunkId),
    });
    if (finding) findings.push(finding);
    return !finding?.withheld;
  });
  return { hits: kept, findings };
}

async function prepare(deps: Deps, input: ChatInput): Promise<Prepared> {
  const asked = screenText(deps, { text: input.question, source: 'input', route: '/chat' });
  if (asked?.withheld) throw injectionRefused(asked, '/body/message');
  const history = input.conversationId
    ? await traced(deps, 'rag.conversations.history', () =>
        findConversation(deps.db, input.ownerId, input.conversationId!).then(() =>
          recentMessages(deps.db, input.conversationId!, HISTORY_MESSAGES),
        ),
      )
    : [];
  const page = await searchChunks(deps, {
    ownerId: input.ownerId,
    query: input.question,
    topK: input.topK ?? deps.config.RAG_CHAT_TOP_K,
    mode: 'hybrid',
    // Chunks, in hybrid's document-aware order: on the retrieval eval it put the answering page
    // first at least as often as grouping by document, and the model cites chunks.
    groupBy: 'chunk',
    documentIds: input.documentIds,
    metadata: input.metadata,
    meta: input.meta,
  });
  const screened = screenHits(deps, page.results);
  const context = await buildContext(screened.hits, deps.config.RAG_CHAT_CONTEXT_TOKENS);
  // A flag is reported for a chunk the model saw, or one kept from it.
  const shown = new Set(context.sources.map((s) => String(s.hit.chunkId)));
  const findings = [
    ...(asked ? [asked] : []),
    ...screened.findings.filter((f) => f.withheld || shown.has(f.ref ?? '')),
  ];
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(context) },
    ...history.map((m) => ({ role: m.role, content: m.content })),
    { role: 'user', content: input.question },
  ];
  return { page, context, messages, security: screening(deps.config) ? findings : undefined };
}

async function finish(
  deps: Deps,
  input: ChatInput,
  prepared: Prepared,
  reply: { answer: string; model: string; usage: TokenUsage | null },
): Promise<ChatResult> {
  const cited = citedSources(reply.answer, prepared.context.sources);
  const citations: Citation[] = cited.map((s) => ({
    marker: s.marker,
    chunkId: s.hit.chunkId,
    documentId: s.hit.documentId,
    documentTitle: s.hit.documentTitle,
    headingPath: s.hit.headingPath,
    score: s.hit.score,
  }));
  const stored = await traced(deps, 'rag.conversations.record_exchange', () =>
    recordExchange(deps.db, {
      ownerId: input.ownerId,
      conversationId: input.conversationId,
      question: input.question,
      answer: reply.answer,
      citations,
      model: reply.model,
      usage: reply.usage,
      indexVersionId: prepared.page.indexVersion.id,
    }),
  );
  return {
    ...stored,
    answer: reply.answer,
    grounded: citations.length > 0,
    citations,
    model: reply.model,
    usage: reply.usage,
    indexVersion: prepared.page.indexVersion,
    context: {
      chunks: prepared.context.sources.length,
      retrieved: prepared.page.results.length,
      tokens: prepared.context.tokens,
      budget: deps.config.RAG_CHAT_CONTEXT_TOKENS,
    },
    security: prepared.security,
  };
}

// Nothing retrieved: no model call can ground an answer, so none is made.
const noContextReply = (deps: Deps) => ({
  answer: NO_CONTEXT_ANSWER,
  model: deps.llm.chatModel,
  usage: null,
});

/**
 * Retrieval-augmented answer: hybrid search over the caller's documents, the best chunks
 * within the token budget as numbered sources, the model's answer with the sources it used
 * as citations, all stored in the conversation.
 */
export async function answerQuestion(deps: Deps, input: ChatInput): Promise<ChatResult> {
  const prepared = await prepare(deps, input);
  if (prepared.context.sources.length === 0) return finish(deps, input, prepared, noContextReply(deps));
  const response = await deps.llm.chat({ messages: prepared.messages, meta: input.meta });
  return finish(deps, input, prepared, {
    answer: response.content ?? '',
    model: response.model,
    usage: response.accounting.usage,
  });
}

/** The same, streamed: answer deltas as the model produces them, then the stored result. */
export async function* streamAnswer(deps: Deps, input: ChatInput): AsyncGenerator<ChatEvent> {
  const prepared = await prepare(deps, input);
  if (prepared.context.sources.length === 0) {
    const reply = noContextReply(deps);
    yield { type: 'delta', content: reply.answer };
    yield { type: 'done', result: await finish(deps, input, prepared, reply) };
    return;
  }
  let answer = '';
  let model = deps.llm.chatModel;
  let usage: TokenUsage | null = null;
  for await (const event of deps.llm.chatStream({ messages: prepared.messages, meta: input.meta })) {
    if (event.type === 'delta') {
      answer += event.content;
      yield { type: 'delta', content: event.content };
    } else if (event.type === 'done') {
      model = event.model;
      usage = event.accounting.usage;
    }
  }
  yield { type: 'done', result: await finish(deps, input, prepared, { answer, model, usage }) };
}
