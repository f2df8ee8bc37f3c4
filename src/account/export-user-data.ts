import { type AnyColumn, and, asc, eq, getTableColumns, gt, inArray, type SQL } from 'drizzle-orm';
import type { ApiKey } from '../auth/api-keys.ts';
import {
  agentRuns,
  agentToolAudit,
  agentTrace,
  apiKeys,
  conversations,
  documents,
  messages,
  usageEvents,
  users,
} from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';

export type ExportedUser = Pick<typeof users.$inferSelect, 'id' | 'role' | 'plan' | 'status' | 'createdAt'>;
export type ExportedDocument = Omit<typeof documents.$inferSelect, 'ownerId' | 'contentHash'>;
export type ExportedConversation = Omit<typeof conversations.$inferSelect, 'ownerId'>;
export type ExportedMessage = typeof messages.$inferSelect;
export type ExportedAgentRun = Omit<typeof agentRuns.$inferSelect, 'ownerId' | 'state'>;
export type ExportedTraceEntry = typeof agentTrace.$inferSelect;
export type ExportedToolCall = Omit<typeof agentToolAudit.$inferSelect, 'userId'>;
export type ExportedUsageEvent = Omit<typeof usageEvents.$inferSelect, 'userId'>;

/** Everything stored about a user, each section read lazily in bounded batches. */
export interface UserExport {
  user: ExportedUser;
  apiKeys: AsyncIterable<ApiKey>;
  documents: AsyncIterable<ExportedDocument>;
  conversations: AsyncIterable<ExportedConversation>;
  messages: AsyncIterable<ExportedMessage>;
  agentRuns: AsyncIterable<ExportedAgentRun>;
  agentTrace: AsyncIterable<ExportedTraceEntry>;
  agentToolCalls: AsyncIterable<ExportedToolCall>;
  usageEvents: AsyncIterable<ExportedUsageEvent>;
}

// Rows per read: documents carry their content (up to DOCUMENT_MAX_BYTES each), so fewer of them.
const DOCUMENT_BATCH = 5;
const ROW_BATCH = 500;

/**
 * Reads a section in primary-key order, `batch` rows at a time: memory holds one batch whatever
 * the section's size, and rows added meanwhile after the last key are picked up, never repeated.
 */
async function* paged<Row extends { id: Id }, Id extends string | number>(
  batch: number,
  read: (after: Id | undefined, limit: number) => Promise<Row[]>,
): AsyncGenerator<Row> {
  let after: Id | undefined;
  for (;;) {
    const rows = await read(after, batch);
    yield* rows;
    if (rows.length < batch) return;
    after = rows.at(-1)!.id;
  }
}

const afterId = (column: AnyColumn, after: string | number | undefined): SQL | undefined =>
  after === undefined ? undefined : gt(column, after);

/**
 * The caller's data for GET /me/export: their documents (as uploaded), conversations and
 * messages, agent runs with their traces and tool calls, API keys (metadata, never hashes) and
 * usage events. Chunks and embeddings are derived from the documents and left out.
 */
export async function exportUserData(deps: Pick<Deps, 'db'>, input: { userId: string }): Promise<UserExport> {
  const { db } = deps;
  const { userId } = input;
  const [user] = await db
    .select({
      id: users.id,
      role: users.role,
      plan: users.plan,
      status: users.status,
      createdAt: users.createdAt,
    })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw notFound(`User ${userId} does not exist.`);
  const { hash: _hash, ...keyColumns } = getTableColumns(apiKeys);
  const { ownerId: _o, contentHash: _c, ...documentColumns } = getTableColumns(documents);
  const { ownerId: _co, ...conversationColumns } = getTableColumns(conversations);
  const { ownerId: _ro, state: _s, ...runColumns } = getTableColumns(agentRuns);
  const { userId: _tu, ...toolCallColumns } = getTableColumns(agentToolAudit);
  const { userId: _uu, ...usageColumns } = getTableColumns(usageEvents);
  const ownConversations = db
    .select({ id: conversations.id })
    .from(conversations)
    .where(eq(conversations.ownerId, userId));
  const ownRuns = db.select({ id: agentRuns.id }).from(agentRuns).where(eq(agentRuns.ownerId, userId));
  return {
    user,
    apiKeys: paged(ROW_BATCH, (after, limit) =>
      db
        .select(keyColumns)
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, userId), afterId(apiKeys.id, after)))
        .orderBy(asc(apiKeys.id))
        .limit(limit),
    ),
    documents: paged(DOCUMENT_BATCH, (after, limit) =>
      db
        .select(documentColumns)
        .from(documents)
        .where(and(eq(documents.ownerId, userId), afterId(documents.id, after)))
        .orderBy(asc(documents.id))
        .limit(limit),
    ),
    conversations: paged(ROW_BATCH, (after, limit) =>
      db
        .select(conversationColumns)
        .from(conversations)
        .where(and(eq(conversations.ownerId, userId), afterId(conversations.id, after)))
        .orderBy(asc(conversations.id))
        .limit(limit),
    ),
    messages: paged(ROW_BATCH, (after, limit) =>
      db
        .select()
        .from(messages)
        .where(and(inArray(messages.conversationId, ownConversations), afterId(messages.id, after)))
        .orderBy(asc(messages.id))
        .limit(limit),
    ),
    agentRuns: paged(ROW_BATCH, (after, limit) =>
      db
        .select(runColumns)
        .from(agentRuns)
        .where(and(eq(agentRuns.ownerId, userId), afterId(agentRuns.id, after)))
        .orderBy(asc(agentRuns.id))
        .limit(limit),
    ),
    agentTrace: paged(ROW_BATCH, (after, limit) =>
      db
        .select()
        .from(agentTrace)
        .where(and(inArray(agentTrace.runId, ownRuns), afterId(agentTrace.id, after)))
        .orderBy(asc(agentTrace.id))
        .limit(limit),
    ),
    agentToolCalls: paged(ROW_BATCH, (after, limit) =>
      db
        .select(toolCallColumns)
        .from(agentToolAudit)
        .where(and(eq(agentToolAudit.userId, userId), afterId(agentToolAudit.id, after)))
        .orderBy(asc(agentToolAudit.id))
        .limit(limit),
    ),
    usageEvents: paged(ROW_BATCH, (after, limit) =>
      db
        .select(usageColumns)
        .from(usageEvents)
        .where(and(eq(usageEvents.userId, userId), afterId(usageEvents.id, after)))
        .orderBy(asc(usageEvents.id))
        .limit(limit),
    ),
  };
}
