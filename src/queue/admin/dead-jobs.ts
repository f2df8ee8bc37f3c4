import { and, eq } from 'drizzle-orm';
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

/** Re-drives a dead job with fresh attempts and hands it to the queue again. */
export async function retryDeadJob(
  deps: Deps,
  handlers: JobHandlers,
  id: string,
): Promise<{ id: string; kind: string }> {
  let revived: Awaited<ReturnType<typeof reviveJob>>;
  try {
    revived = await reviveJob(deps.db, id);
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
