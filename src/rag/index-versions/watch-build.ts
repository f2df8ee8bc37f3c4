import type { Deps } from '../../deps.ts';
import { enqueueJobs } from '../../queue/enqueue.ts';
import { JOB_ACTIVATE_VERSION } from '../job-kinds.ts';

export const activationJob = (deps: Pick<Deps, 'config'>, versionId: number) => ({
  kind: JOB_ACTIVATE_VERSION,
  payload: { indexVersionId: versionId },
  key: `${JOB_ACTIVATE_VERSION}:${versionId}`,
  delayMs: 1000,
  maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
});

/** (Re)starts the job that activates a building version once its ingestion has drained. */
export async function watchVersionBuild(deps: Deps, versionId: number): Promise<void> {
  await enqueueJobs(deps, [activationJob(deps, versionId)]);
}
