import { and, eq } from 'drizzle-orm';
import { conversations } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../errors.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import {
  type Conversation,
  type ConversationMessage,
  conversationMessages,
  findConversation,
} from './conversation-store.ts';

export type ConversationWithMessages = Conversation & { messages: ConversationMessage[] };

/** The caller's conversations, most recently active first. */
export async function listConversations(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & { ownerId: string },
): Promise<Page<Conversation>> {
  return keysetPage(
    input,
    { timestamp: conversations.updatedAt, id: conversations.id },
    (keyset) =>
      deps.db
        .select({
          id: conversations.id,
          title: conversations.title,
          createdAt: conversations.createdAt,
          updatedAt: conversations.updatedAt,
          sortKey: keyset.sortKey,
        })
        .from(conversations)
        .where(and(eq(conversations.ownerId, input.ownerId), keyset.after))
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...conversation }) => conversation,
  );
}

/** One of the caller's conversations with every message, oldest first. */
export async function getConversation(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; id: string },
): Promise<ConversationWithMessages> {
  const conversation = await findConversation(deps.db, input.ownerId, input.id);
  return { ...conversation, messages: await conversationMessages(deps.db, conversation.id) };
}

/** Deletes one of the caller's conversations with its messages; another user's is 404. */
export async function deleteConversation(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; id: string },
): Promise<void> {
  const deleted = await deps.db
    .delete(conversations)
    .where(and(eq(conversations.id, input.id), eq(conversations.ownerId, input.ownerId)))
    .returning({ id: conversations.id });
  if (deleted.length === 0) throw notFound(`Conversation ${input.id} does not exist.`);
}
