import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { conversations, messages } from '../../db/schema.ts';
import { notFound } from '../../errors.ts';

export interface StoredCitation {
  marker: number;
  chunk_id: number;
  document_id: string;
  document_title: string;
  heading_path: string[];
  score: number;
}

/** The caller's conversation, or 404 (another user's is indistinguishable from a missing one). */
export async function findConversation(db: Database, ownerId: string, id: string) {
  const [row] = await db
    .select()
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

export async function conversationMessages(db: Database, conversationId: string) {
  return db
    .select()
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.id));
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
    citations: StoredCitation[];
    model: string;
    usage: Record<string, number> | null;
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
        citations: input.citations,
        model: input.model,
        usage: input.usage,
        indexVersionId: input.indexVersionId,
      })
      .returning({ id: messages.id });
    return { conversationId, messageId: answer!.id };
  });
}
