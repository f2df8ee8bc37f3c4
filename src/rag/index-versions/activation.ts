import { and, eq, sql } from 'drizzle-orm';
import { type AdminActor, recordAdminAction } from '../../admin/admin-audit.ts';
import { indexVersions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { conflict, notFound } from '../../errors.ts';
import { traced } from '../../observability/tracing.ts';
import { enqueueJobs, jobOrigin } from '../../queue/enqueue.ts';
import { insertJobs } from '../../queue/jobs-store.ts';
import { JOB_INDEX_VECTORS, JOB_PURGE_VERSION } from '../job-kinds.ts';
import type { IndexVersion } from './index-version.ts';
import { getIndexVersion, type IndexVersionWithProgress } from './list-versions.ts';

/**
 * Makes a building version the active one in a single transaction: the previous version is
 * retired in the same commit, so every search reads exactly one of them. Documents take the
 * new version's chunk counts; the retired version's rows are purged after a grace delay.
 * Both ways in use it: the build watcher once ingestion drains, and an admin's activation.
 */
export async function switchActiveVersion(
  deps: Deps,
  versionId: number,
  actor?: AdminActor,
): Promise<IndexVersion> {
  const origin = jobOrigin(deps);
  const { version, purge } = await traced(deps, 'rag.index_versions.switch', () =>
    deps.db.transaction(async (tx) => {
      const [target] = await tx
        .select()
        .from(indexVersions)
        .where(eq(indexVersions.id, versionId))
        .for('update');
      if (!target) throw notFound(`Index version ${versionId} does not exist.`);
      if (target.state !== 'building') {
        throw conflict(
          `Index version ${versionId} is ${target.state}; only a building version can be activated.`,
        );
      }
      const retired = await tx
        .update(indexVersions)
        .set({ state: 'retired', retiredAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(indexVersions.state, 'active'))
        .returning({ id: indexVersions.id });
      const [activated] = await tx
        .update(indexVersions)
        .set({ state: 'active', activatedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(indexVersions.id, versionId), eq(indexVersions.state, 'building')))
        .returning();
      await tx.execute(sql`
      update documents d
      set status = 'ready', error = null, chunk_count = i.chunk_count, chunks_total = i.chunk_count,
          chunks_embedded = i.chunk_count, updated_at = now()
      from document_ingestions i
      where i.document_id = d.id and i.index_version_id = ${versionId} and i.content_hash = d.content_hash`);
      // An admin's activation is audited in the same commit as the switch.
      if (actor)
        await recordAdminAction(tx, {
          actorId: actor.actorId,
          action: 'index.activate',
          target: `index:${versionId}`,
          details: {
            before: { state: target.state },
            after: { state: 'active' },
            retired: retired.map((r) => r.id),
          },
          requestId: actor.requestId,
        });
      const purge = await insertJobs(
        tx,
        retired.map((r) => ({
          ...origin,
          kind: JOB_PURGE_VERSION,
          payload: { indexVersionId: r.id },
          key: `${JOB_PURGE_VERSION}:${r.id}`,
          delayMs: deps.config.RAG_RETIRED_PURGE_DELAY_S * 1000,
          maxAttempts: deps.config.JOB_MAX_ATTEMPTS,
        })),
      );
      return { version: activated!, purge };
    }),
  );
  await deps.queue.publish(purge);
  deps.logger.info('index version activated', { index_version: version.id });
  return version;
}

/**
 * Manual activation of a building version (an admin need not wait for the build to drain):
 * the atomic switch now; its HNSW index follows in the background if it is big enough to need one.
 */
export async function activateIndexVersion(
  deps: Deps,
  versionId: number,
  actor: AdminActor,
): Promise<IndexVersionWithProgress> {
  const version = await switchActiveVersion(deps, versionId, actor);
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
  return getIndexVersion(deps, version.id);
}
