import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';

/** What a user stores, and what the plan allows (null: unlimited). */
export interface StorageUse {
  plan: string;
  documents: number;
  storedBytes: number;
  documentsLimit: number | null;
  storedBytesLimit: number | null;
}

interface Row {
  plan: string;
  documents: string | number;
  stored_bytes: string | number | null;
  documents_limit: number | null;
  stored_bytes_limit: string | number | null;
}

/**
 * The user's documents (count, and bytes of content) beside the plan's storage quotas, in one
 * statement over the documents' owner index. The free plan stands in for a plan that does not exist.
 */
export async function storageUse(db: Database, input: { userId: string; plan: string }): Promise<StorageUse> {
  const rows = rowsOf<Row>(
    await db.execute(sql`
      select p.name as plan, p.documents as documents_limit, p.stored_bytes as stored_bytes_limit,
        d.documents, d.stored_bytes
      from (select name, documents, stored_bytes from plans where name in (${input.plan}, 'free')
            order by name = ${input.plan} desc limit 1) p
      cross join (select count(*) as documents, sum(octet_length(content)) as stored_bytes
                  from documents where owner_id = ${input.userId}) d`),
  );
  const row = rows[0];
  if (!row) throw new Error('No plan named "free": the plans table is not seeded.');
  return {
    plan: row.plan,
    documents: Number(row.documents),
    storedBytes: Number(row.stored_bytes ?? 0),
    documentsLimit: row.documents_limit,
    storedBytesLimit: row.stored_bytes_limit === null ? null : Number(row.stored_bytes_limit),
  };
}
