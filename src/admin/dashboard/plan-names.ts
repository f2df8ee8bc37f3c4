import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { rowsOf } from '../../db/rows.ts';

// The plans seeded with the `plans` table, offered while a database predates that table.
const SEEDED_PLANS = ['free', 'pro', 'team'];

/** The plans an admin may pick in the plan-change form, by name. */
export async function listPlanNames(db: Pick<Database, 'execute'>): Promise<string[]> {
  // Two statements: PostgreSQL resolves every table a statement names before running any of it.
  const [table] = rowsOf<{ present: boolean }>(
    await db.execute(sql`select to_regclass('public.plans') is not null as present`),
  );
  if (!table?.present) return SEEDED_PLANS;
  return rowsOf<{ name: string }>(await db.execute(sql`select name from plans order by name`)).map(
    (r) => r.name,
  );
}
