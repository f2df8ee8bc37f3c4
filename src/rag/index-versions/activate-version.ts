import type { Deps } from '../../deps.ts';
import { enqueueJobs } from '../../queue/enqueue.ts';
import { JOB_INDEX_VECTORS } from '../job-kinds.ts';
import { listIndexVersions } from './list-versions.ts';
import { switchActiveVersion } from './switch-version.ts';

/**
 * Manual activation of a building version (an admin need not wait for the build to drain):
 * the atomic switch now; its HNSW index follows in the background if it is big enough to need one.
 */
export async function activateIndexVersion(deps: Deps, versionId: number) {
  const version = await switchActiveVersion(deps, versionId);
  if (!version.vectorIndexedAt && version.chunkCount >= deps.config.RAG_HNSW_MIN_CHUNKS) {
    await enqueueJobs(deps, [
      {
        kind: JOB_INDEX_VECTORS,
        payload: { indexVersionId: version.id, firstTriedAt: Date.now() },
        key: `${JOB_INDEX_VECTORS}:${version.id}`,
        maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
      },
    ]);
  }
  const [view] = await listIndexVersions(deps, version.id);
  return view!;
}
