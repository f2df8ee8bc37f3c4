import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { conversations, messages } from '../../db/schema.ts';
import type { messageRoles } from '../../db/tables/rag.ts';
import { notFound } from '../../errors.ts';
import type { TokenUsage } from '../../llm/llm-client.ts';

/** A retrieved chunk an answer relies on, by the [n] marker the model saw it under. */
export interface Citation {
  marker: number;
  chunkId: number;
  documentId: string;
  documentTitle: string;
  headingPath: string[];
  score: number;
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConversationMessage {
  id: number;
  role: (typeof messageRoles)[number];
  content: string;
  citations: Citation[];
  model: string | null;
  createdAt: Date;
}

// The JSON kept in messages.citations and messages.usage: snake_case keys, as stored rows have them.
interface StoredCitation {
  marker: number;
  chunk_id: number;
  document_id: string;
  document_title: string;
  heading_path: string[];
  score: number;
}

const toStoredCitation = (c: Citation): StoredCitation => ({
  marker: c.marker,
  chunk_id: c.chunkId,
  document_id: c.documentId,
  document_title: c.documentTitle,
  heading_path: c.headingPath,
  score: c.score,
});

const fromStoredCitation = (c: StoredCitation): Citation => ({
  marker: c.marker,
  chunkId: c.chunk_id,
  documentId: c.document_id,
  documentTitle: c.document_title,
  headingPath: c.heading_path,
  score: c.score,
});

/** The caller's conversation, or 404 (another user's is indistinguishable from a missing one). */
export async function findConversation(db: Database, ownerId: string, id: string): Promise<Conversation> {
  const [row] = await db
    .select({
      id: conversations.id,
      title: conversations.title,
      createdAt: conversations.createdAt,
      updatedAt: conversations.updatedAt,
    })
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)));
  if (!row) throw notFound(`Conversation ${id} does not exist.`);
  return row;
}

/** The last `limit` messages of a conversation, oldest first. */
export async function recentMessages(db: Database, conversationId: string, limit: number) {
  const rows = await db
    .select({ id: messages.id, role: messages.role, content: messages.content })
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(sql`${messages.id} desc`)
    .limit(limit);
  return rows.reverse();
}

export async function conversationMessages(
  db: Database,
  conversationId: string,
): Promise<ConversationMessage[]> {
  const rows = await db
    .select({
      id: messages.id,
      role: messages.role,
      content: messages.content,
      citations: messages.citations,
      model: messages.model,
      createdAt: messages.createdAt,
    })
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.id));
  return rows.map((m) => ({ ...m, citations: (m.citations as StoredCitation[]).map(fromStoredCitation) }));
}

/**
 * Records one exchange (creating the conversation on its first question) in a single
 * transaction, so a conversation never holds a question without its answer.
 */
export async function recordExchange(
  db: Database,
  input: {
    ownerId: string;
    conversationId?: string | undefined;
    question: string;
    answer: string;
    citations: Citation[];
    model: string;
    usage: TokenUsage | null;
    indexVersionId: number;
  },
): Promise<{ conversationId: string; messageId: number }> {
  return db.transaction(async (tx) => {
    let conversationId = input.conversationId;
    if (conversationId) {
      await tx
        .update(conversations)
        .set({ updatedAt: sql`now()` })
        .where(eq(conversations.id, conversationId));
    } else {
      const title = input.question.replace(/\s+/g, ' ').trim().slice(0, 80);
      const [created] = await tx
        .insert(conversations)
        .values({ ownerId: input.ownerId, title })
        .returning({ id: conversations.id });
      conversationId = created!.id;
    }
    await tx.insert(messages).values({ conversationId, role: 'user', content: input.question });
    const [answer] = await tx
      .insert(messages)
      .values({
        conversationId,
        role: 'assistant',
        content: input.answer,
        citations: input.citations.map(toStoredCitation),
        model: input.model,
        usage: input.usage
          ? { input_tokens: input.usage.inputTokens, output_tokens: input.usage.outputTokens }
          : null,
        indexVersionId: input.indexVersionId,
      })
      .returning({ id: messages.id });
    return { conversationId, messageId: answer!.id };
  });
}
