import { sql } from 'drizzle-orm';
import journal from '../../drizzle/meta/_journal.json' with { type: 'json' };
import type { Database } from './database.ts';
import { rowsOf } from './rows.ts';

export interface MigrationStatus {
  applied: boolean;
  expected: string;
  latestApplied: string | null;
}

const latestEntry = journal.entries.at(-1);

/** Compares the newest migration recorded by drizzle's migrator with the newest one shipped in drizzle/. */
export async function migrationStatus(db: Database): Promise<MigrationStatus> {
  const expected = latestEntry?.tag ?? '(none)';
  let latestWhen: number | null = null;
  try {
    const rows = rowsOf<{ latest: string | number | null }>(
      await db.execute(sql`select max(created_at) as latest from drizzle.__drizzle_migrations`),
    );
    latestWhen = rows[0]?.latest == null ? null : Number(rows[0].latest);
  } catch {
    latestWhen = null;
  }
  const latestApplied = journal.entries.find((e) => e.when === latestWhen)?.tag ?? null;
  return {
    applied: latestEntry === undefined || (latestWhen !== null && latestWhen >= latestEntry.when),
    expected,
    latestApplied,
  };
}
