import { and, eq } from 'drizzle-orm';
import { type AdminActor, recordAdminAction } from '../../admin/admin-audit.ts';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import { jobs } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { conflict, notFound } from '../../errors.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';
import type { JobHandlers } from '../job-handler.ts';
import { reviveJob } from '../jobs-store.ts';

/** A job that exhausted its attempts, kept for an admin to inspect and re-drive. */
export interface DeadJob {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  /** When its last attempt failed: a dead job is not updated after that. */
  failedAt: Date;
}

/** The dead-letter store, most recently failed first. */
export async function listDeadJobs(deps: Pick<Deps, 'db'>, input: PageRequest): Promise<Page<DeadJob>> {
  return keysetPage(
    input,
    { timestamp: jobs.updatedAt, id: jobs.id },
    (keyset) =>
      deps.db
        .select({
          id: jobs.id,
          kind: jobs.kind,
          payload: jobs.payload,
          attempts: jobs.attempts,
          lastError: jobs.lastError,
          createdAt: jobs.createdAt,
          failedAt: jobs.updatedAt,
          sortKey: keyset.sortKey,
        })
        .from(jobs)
        .where(and(eq(jobs.status, 'dead'), keyset.after))
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ sortKey: _sortKey, ...job }) => job,
  );
}

/**
 * Re-drives a dead job with fresh attempts and hands it to the queue again. The job's revival and
 * its admin audit row commit together.
 */
export async function retryDeadJob(
  deps: Deps,
  handlers: JobHandlers,
  input: AdminActor & { id: string },
): Promise<{ id: string; kind: string }> {
  const { id } = input;
  let revived: Awaited<ReturnType<typeof reviveJob>>;
  try {
    revived = await deps.db.transaction(async (tx) => {
      const job = await reviveJob(tx, id);
      if (job)
        await recordAdminAction(tx, {
          actorId: input.actorId,
          action: 'job.retry',
          target: `job:${id}`,
          details: { kind: job.kind },
          requestId: input.requestId,
        });
      return job;
    });
  } catch (error) {
    // Singleton jobs: another one with the same key is already queued.
    if (isUniqueViolation(error))
      throw conflict(`An equivalent job is already queued; job ${id} stays dead.`);
    throw error;
  }
  if (!revived) throw notFound(`No dead job ${id}.`);
  await handlers[revived.kind]?.onRetry?.(deps, revived.payload);
  await deps.queue.publish([{ id: revived.id }]);
  return { id: revived.id, kind: revived.kind };
}
