import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { conversations } from '../../db/schema.ts';
import { fromTimestampKey, timestampKey } from '../../db/timestamp-key.ts';
import type { Deps } from '../../deps.ts';
import { decodeCursor, encodeCursor } from '../../http/cursor.ts';
import type { StoredCitation } from './conversation-store.ts';
import { conversationMessages, findConversation } from './conversation-store.ts';

const cursorSchema = z.object({ t: z.string(), i: z.uuid() });

const conversationView = (c: { id: string; title: string; createdAt: Date; updatedAt: Date }) => ({
  id: c.id,
  title: c.title,
  created_at: c.createdAt.toISOString(),
  updated_at: c.updatedAt.toISOString(),
});

/** The caller's conversations, most recently active first, keyset-paginated. */
export async function listConversations(
  deps: Pick<Deps, 'db'>,
  input: { ownerId: string; limit: number; cursor?: string | undefined },
) {
  const after = input.cursor ? decodeCursor(input.cursor, cursorSchema, '/query/cursor') : undefined;
  const rows = await deps.db
    .select({
      id: conversations.id,
      title: conversations.title,
      createdAt: conversations.createdAt,
      updatedAt: conversations.updatedAt,
      key: timestampKey(conversations.updatedAt),
    })
    .from(conversations)
    .where(
      and(
        eq(conversations.ownerId, input.ownerId),
        after
          ? sql`(${conversations.updatedAt}, ${conversations.id}) < (${fromTimestampKey(after.t)}, ${after.i}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(conversations.updatedAt), desc(conversations.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(conversationView),
    next_cursor: rows.length > input.limit && last ? encodeCursor({ t: last.key, i: last.id }) : null,
  };
}

/** One of the caller's conversations with every message, oldest first. */
export async function getConversation(deps: Pick<Deps, 'db'>, input: { ownerId: string; id: string }) {
  const conversation = await findConversation(deps.db, input.ownerId, input.id);
  const messages = await conversationMessages(deps.db, conversation.id);
  return {
    ...conversationView(conversation),
    messages: messages.map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      citations: m.citations as StoredCitation[],
      model: m.model,
      created_at: m.createdAt.toISOString(),
    })),
  };
}
