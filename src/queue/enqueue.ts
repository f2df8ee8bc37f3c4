import type { Deps } from '../deps.ts';
import { insertJobs, type NewJob } from './jobs-store.ts';

/** Stores jobs and announces them to the runtime's consumer. Returns the ids created. */
export async function enqueueJobs(deps: Pick<Deps, 'db' | 'queue'>, specs: NewJob[]): Promise<string[]> {
  const created = await insertJobs(deps.db, specs);
  await deps.queue.publish(created);
  return created.map((c) => c.id);
}
