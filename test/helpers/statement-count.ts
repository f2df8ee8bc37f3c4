import type { Database } from '../../src/db/database.ts';

/**
 * Runs `work` while counting the statements sent through `db.execute` whose text contains
 * `marker`; the count is read from the returned getter (also while `work` runs).
 */
export async function countingStatements<T>(
  db: Database,
  marker: string,
  work: (count: () => number) => Promise<T>,
): Promise<{ result: T; count: number }> {
  const execute = db.execute;
  let count = 0;
  db.execute = ((query: Parameters<typeof execute>[0]) => {
    if (JSON.stringify(query).includes(marker)) count++;
    return execute.call(db, query);
  }) as typeof execute;
  try {
    return { result: await work(() => count), count };
  } finally {
    db.execute = execute;
  }
}
