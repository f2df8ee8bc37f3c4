import { asc } from 'drizzle-orm';
import { usageEvents } from '../../src/db/tables/usage.ts';
import type { TestApp } from './test-app.ts';

/** Flushes the app's usage writer and returns every stored usage event, oldest first. */
export async function storedUsage(t: TestApp) {
  await t.deps.usage.flush();
  return t.deps.db.select().from(usageEvents).orderBy(asc(usageEvents.id));
}
