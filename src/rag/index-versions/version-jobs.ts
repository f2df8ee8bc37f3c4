import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf } from '../../db/rows.ts';
import { documentIngestions, indexVersions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { traced } from '../../observability/tracing.ts';
import type { JobDeferral } from '../../queue/job-handler.ts';
import { switchActiveVersion } from './activation.ts';
import { ingestJobCounts } from './ingest-job-counts.ts';
import { createVectorIndex, dropVectorIndex } from './vector-index.ts';

export const versionPayload = z.object({
  indexVersionId: z.number().int().positive(),
  firstTriedAt: z.number().optional(),
});
type VersionPayload = z.infer<typeof versionPayload>;

// How often a waiting job looks again, and how long a stream of uploads may postpone an index build.
const RECHECK_MS = 2000;
const MAX_INDEX_WAIT_MS = 10 * 60_000;

async function loadVersion(deps: Deps, id: number) {
  const [version] = await traced(deps, 'rag.index_versions.get', () =>
    deps.db.select().from(indexVersions).where(eq(indexVersions.id, id)),
  );
  return version;
}

const pendingIngestion = (deps: Deps, versionId: number) =>
  traced(deps, 'rag.index_versions.ingest_counts', () => ingestJobCounts(deps.db, versionId));

const buildIndex = (deps: Deps, version: Parameters<typeof createVectorIndex>[1]) =>
  traced(deps, 'rag.index_versions.create_vector_index', () => createVectorIndex(deps.db, version));

/**
 * Builds the HNSW index of the active version once it holds RAG_HNSW_MIN_CHUNKS rows, after its
 * queued ingestion has drained (load first, index after), unless uploads keep coming for too long.
 */
export async function buildVectorIndex(
  deps: Deps,
  payload: VersionPayload,
): Promise<JobDeferral | undefined> {
  const version = await loadVersion(deps, payload.indexVersionId);
  if (!version || version.state === 'retired' || version.vectorIndexedAt) return undefined;
  const { pending } = await pendingIngestion(deps, version.id);
  const waited = Date.now() - (payload.firstTriedAt ?? Date.now());
  if (pending > 0 && waited < MAX_INDEX_WAIT_MS) return { deferMs: RECHECK_MS };
  await buildIndex(deps, version);
  deps.logger.info('vector index built', { index_version: version.id, chunks: version.chunkCount });
  return undefined;
}

/**
 * Watches a building version: once none of its ingestion jobs is pending it builds the
 * vector index and switches it in. A dead-lettered ingestion holds the switch back (the
 * version would miss documents); re-driving the job restarts the watch.
 */
export async function activateWhenBuilt(
  deps: Deps,
  payload: VersionPayload,
): Promise<JobDeferral | undefined> {
  const version = await loadVersion(deps, payload.indexVersionId);
  if (version?.state !== 'building' || !version.autoActivate) return undefined;
  const { pending, dead } = await pendingIngestion(deps, version.id);
  if (pending > 0) return { deferMs: RECHECK_MS };
  if (dead > 0) {
    deps.logger.warn('index version not activated: ingestion jobs are dead-lettered', {
      index_version: version.id,
      dead,
    });
    return undefined;
  }
  if (!version.vectorIndexedAt && version.chunkCount >= deps.config.RAG_HNSW_MIN_CHUNKS) {
    await buildIndex(deps, version);
  }
  await switchActiveVersion(deps, version.id);
  return undefined;
}

const PURGE_BATCH = 5000;

/** Deletes a retired version's chunks in batches, then its ledger rows and its vector index. */
export async function purgeVersion(deps: Deps, payload: VersionPayload): Promise<undefined> {
  const version = await loadVersion(deps, payload.indexVersionId);
  if (version?.state !== 'retired' || version.purgedAt) return undefined;
  for (;;) {
    const deleted = rowsOf(
      await traced(deps, 'rag.index_versions.purge_chunks', () =>
        deps.db.execute(sql`
          delete from chunks where id in (
            select id from chunks where index_version_id = ${version.id} limit ${PURGE_BATCH})
          returning id`),
      ),
    );
    if (deleted.length < PURGE_BATCH) break;
  }
  await traced(deps, 'rag.index_versions.purge', async () => {
    await deps.db.delete(documentIngestions).where(eq(documentIngestions.indexVersionId, version.id));
    await dropVectorIndex(deps.db, version.id);
    await deps.db
      .update(indexVersions)
      .set({ purgedAt: sql`now()`, chunkCount: 0, updatedAt: sql`now()` })
      .where(and(eq(indexVersions.id, version.id), eq(indexVersions.state, 'retired')));
  });
  deps.logger.info('retired index version purged', { index_version: version.id });
  return undefined;
}
