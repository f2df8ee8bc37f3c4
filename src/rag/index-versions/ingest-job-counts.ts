import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';
import { JOB_INGEST } from '../job-kinds.ts';

export interface IngestJobCounts {
  pending: number;
  dead: number;
}

/** Ingestion jobs of one version still to run (queued or running) and in the dead-letter store. */
export async function ingestJobCounts(db: Database, versionId: number): Promise<IngestJobCounts> {
  const [row] = rowsOf<{ pending: number; dead: number }>(
    await db.execute(sql`
      select count(*) filter (where status in ('queued', 'running'))::int as pending,
             count(*) filter (where status = 'dead')::int as dead
      from jobs
      where kind = ${JOB_INGEST} and status in ('queued', 'running', 'dead')
        and payload @> ${JSON.stringify({ indexVersionId: versionId })}::jsonb`),
  );
  return { pending: Number(row?.pending ?? 0), dead: Number(row?.dead ?? 0) };
}
