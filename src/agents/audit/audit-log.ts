import { and, eq, getTableColumns } from 'drizzle-orm';
import { agentToolAudit } from '../../db/schema.ts';
import type { ToolCallDecision, ToolCallStatus } from '../../db/tables/agents.ts';
import type { Deps } from '../../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';

/** One attempted tool call as the audit log recorded it (arguments with secrets redacted). */
export type AuditEntry = typeof agentToolAudit.$inferSelect;

/** Which entries to list; each filter set narrows the list. */
export interface AuditFilter {
  userId?: string | undefined;
  tool?: string | undefined;
  status?: ToolCallStatus | undefined;
  decision?: ToolCallDecision | undefined;
  runId?: string | undefined;
}

/** The audit log across every user, newest first, optionally filtered. */
export async function listAudit(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & AuditFilter,
): Promise<Page<AuditEntry>> {
  return keysetPage(
    input,
    { timestamp: agentToolAudit.createdAt, id: agentToolAudit.id, idType: 'bigint' },
    (keyset) =>
      deps.db
        .select({ ...getTableColumns(agentToolAudit), sortKey: keyset.sortKey })
        .from(agentToolAudit)
        .where(
          and(
            input.userId === undefined ? undefined : eq(agentToolAudit.userId, input.userId),
            input.tool === undefined ? undefined : eq(agentToolAudit.tool, input.tool),
            input.status === undefined ? undefined : eq(agentToolAudit.status, input.status),
            input.decision === undefined ? undefined : eq(agentToolAudit.decision, input.decision),
            input.runId === undefined ? undefined : eq(agentToolAudit.runId, input.runId),
            keyset.after,
          ),
        )
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...entry }) => entry,
  );
}
