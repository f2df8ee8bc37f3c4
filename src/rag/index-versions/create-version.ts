import { eq, sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import { indexVersions } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { conflict, validationFailed } from '../../errors.ts';
import type { CallMeta } from '../../llm/llm-client.ts';
import { jobOrigin } from '../../queue/enqueue.ts';
import { insertJobs } from '../../queue/jobs-store.ts';
import { maxChunkOverlap } from '../chunking/chunk-text.ts';
import { JOB_INGEST } from '../job-kinds.ts';
import type { IndexVersion } from './index-version.ts';
import { getIndexVersion, type IndexVersionWithProgress } from './list-versions.ts';
import { activationJob } from './watch-build.ts';

export interface NewVersion {
  embeddingModel?: string | undefined;
  dimensions?: number | undefined;
  chunkSize?: number | undefined;
  chunkOverlap?: number | undefined;
  autoActivate: boolean;
}

const invalid = (pointer: string, detail: string) => validationFailed(detail, [{ pointer, detail }], 422);

/**
 * Creates a version with new embedding or chunking settings and rebuilds it in the background:
 * one ingestion job per document, plus a watcher that switches it in when they are done. The
 * active version keeps serving meanwhile. One build at a time.
 */
export async function createIndexVersion(
  deps: Deps,
  input: NewVersion,
  meta: CallMeta,
): Promise<IndexVersionWithProgress> {
  const model = input.embeddingModel ?? deps.llm.embeddingModel;
  const known = deps.llm.models().some((m) => m.kind === 'embedding' && m.id === model);
  if (!known)
    throw invalid(
      '/body/embedding_model',
      `"${model}" is not an embedding model of the ${deps.llm.provider} provider`,
    );
  const [probe] = (
    await deps.llm.embed({
      model,
      texts: ['dimension probe'],
      meta,
    })
  ).vectors;
  const dimensions = probe?.length ?? 0;
  if (input.dimensions !== undefined && input.dimensions !== dimensions) {
    throw invalid('/body/dimensions', `model "${model}" produces ${dimensions}-dimensional vectors`);
  }
  const chunkSize = input.chunkSize ?? deps.config.RAG_CHUNK_SIZE;
  const chunkOverlap =
    input.chunkOverlap ?? Math.min(deps.config.RAG_CHUNK_OVERLAP, maxChunkOverlap(chunkSize));
  if (chunkOverlap > maxChunkOverlap(chunkSize)) {
    throw invalid(
      '/body/chunk_overlap',
      `must be at most a quarter of chunk_size (${maxChunkOverlap(chunkSize)})`,
    );
  }

  // The rebuild's jobs join this request's trace.
  const origin = jobOrigin(deps);
  const { version, jobs } = await deps.db.transaction(async (tx) => {
    const [building] = await tx
      .select({ id: indexVersions.id })
      .from(indexVersions)
      .where(eq(indexVersions.state, 'building'));
    if (building)
      throw conflict(`Index version ${building.id} is still building; activate or wait for it first.`);
    const [version] = await tx
      .insert(indexVersions)
      .values({
        state: 'building',
        embeddingProvider: deps.llm.provider,
        embeddingModel: model,
        dimensions,
        chunkSize,
        chunkOverlap,
        autoActivate: input.autoActivate,
      })
      .returning();
    const ingest = rowsOf<{ id: string }>(
      await tx.execute(sql`
        insert into jobs (kind, payload, max_attempts, traceparent, request_id)
        select ${JOB_INGEST}, jsonb_build_object('documentId', id, 'indexVersionId', ${version!.id}::int),
          ${deps.config.JOB_MAX_ATTEMPTS}::int, ${origin.traceparent ?? null}, ${origin.requestId ?? null}
        from documents
        returning id`),
    );
    const watcher = await insertJobs(tx, [{ ...origin, ...activationJob(deps, version!.id) }]);
    return { version: version as IndexVersion, jobs: [...ingest.map((j) => ({ id: j.id })), ...watcher] };
  });
  await deps.queue.publish(jobs);
  deps.logger.info('index version created', { index_version: version.id, documents: jobs.length - 1 });
  return getIndexVersion(deps, version.id);
}
