import { and, eq, getTableColumns } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { adminAudit } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { keysetPage, type Page, type PageRequest } from '../http/pagination.ts';

/** An admin action as recorded. */
export type AdminAuditEntry = typeof adminAudit.$inferSelect;

/** The admin taking an action and the request it came with, for the audit row. */
export interface AdminActor {
  actorId: string;
  requestId?: string | undefined;
}

/** What an admin did; `details` holds what is needed to understand it later (before/after). */
export interface AdminAction extends AdminActor {
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

/**
 * Records one admin action. Pass the transaction when the action itself runs in one, so the audit
 * row commits (or rolls back) with the change it describes.
 */
export async function recordAdminAction(db: Pick<Database, 'insert'>, action: AdminAction): Promise<void> {
  await db.insert(adminAudit).values({
    actorId: action.actorId,
    action: action.action,
    target: action.target,
    details: action.details ?? {},
    requestId: action.requestId ?? null,
  });
}

/** Which entries to list; each filter set narrows the list. */
export interface AdminAuditFilter {
  actorId?: string | undefined;
  action?: string | undefined;
  target?: string | undefined;
}

/** The admin audit log, newest first, optionally filtered. */
export async function listAdminAudit(
  deps: Pick<Deps, 'db'>,
  input: PageRequest & AdminAuditFilter,
): Promise<Page<AdminAuditEntry>> {
  return keysetPage(
    input,
    { timestamp: adminAudit.createdAt, id: adminAudit.id, idType: 'bigint' },
    (keyset) =>
      deps.db
        .select({ ...getTableColumns(adminAudit), sortKey: keyset.sortKey })
        .from(adminAudit)
        .where(
          and(
            input.actorId === undefined ? undefined : eq(adminAudit.actorId, input.actorId),
            input.action === undefined ? undefined : eq(adminAudit.action, input.action),
            input.target === undefined ? undefined : eq(adminAudit.target, input.target),
            keyset.after,
          ),
        )
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...entry }) => entry,
  );
}
