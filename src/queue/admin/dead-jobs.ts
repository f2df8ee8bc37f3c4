import { z } from 'zod';
import { isUniqueViolation } from '../../db/pg-errors.ts';
import type { Deps } from '../../deps.ts';
import { conflict, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/cursor.ts';
import type { JobHandlers } from '../job-handler.ts';
import { type DeadJob, listDeadJobs, reviveJob } from '../jobs-store.ts';

const cursorSchema = z.object({ t: z.string(), i: z.uuid() });

const deadJobView = (job: DeadJob) => ({
  id: job.id,
  kind: job.kind,
  payload: job.payload,
  attempts: job.attempts,
  last_error: job.lastError,
  created_at: job.createdAt.toISOString(),
  failed_at: job.updatedAt.toISOString(),
});

/** The dead-letter store, most recently failed first. */
export async function listDeadLetters(
  deps: Pick<Deps, 'db'>,
  input: { limit: number; cursor?: string | undefined },
) {
  const after = input.cursor ? decodeCursor(input.cursor, cursorSchema, '/query/cursor') : undefined;
  const rows = await listDeadJobs(deps.db, {
    limit: input.limit + 1,
    after: after && { key: after.t, id: after.i },
  });
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(deadJobView),
    next_cursor: rows.length > input.limit && last ? encodeCursor({ t: last.key, i: last.id }) : null,
  };
}

/** Re-drives a dead job with fresh attempts and hands it to the queue again. */
export async function retryDeadLetter(deps: Deps, handlers: JobHandlers, id: string) {
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
  return { id: revived.id, kind: revived.kind, status: 'queued' as const };
}
