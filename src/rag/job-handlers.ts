import type { z } from 'zod';
import type { JobHandlers } from '../queue/job-handler.ts';
import { PermanentJobError } from '../queue/job-handler.ts';
import {
  activateWhenBuilt,
  buildVectorIndex,
  purgeVersion,
  versionPayload,
} from './index-versions/version-jobs.ts';
import { ingestDocument, ingestPayload, markIngestFailed, requeueIngest } from './ingest/ingest-document.ts';
import { JOB_ACTIVATE_VERSION, JOB_INDEX_VECTORS, JOB_INGEST, JOB_PURGE_VERSION } from './job-kinds.ts';

// A payload that does not parse will never parse: straight to the dead-letter store.
function parse<T extends z.ZodType>(schema: T, payload: unknown): z.infer<T> {
  const result = schema.safeParse(payload);
  if (!result.success) throw new PermanentJobError(`invalid job payload: ${result.error.message}`);
  return result.data;
}

/** The RAG capability's background jobs: ingestion, vector index builds, activation and purge of versions. */
export const ragJobHandlers: JobHandlers = {
  [JOB_INGEST]: {
    async run(deps, payload, job) {
      await ingestDocument(deps, parse(ingestPayload, payload), job);
      return undefined;
    },
    async onDead(deps, payload, error) {
      const parsed = ingestPayload.safeParse(payload);
      if (parsed.success) await markIngestFailed(deps, parsed.data, error);
    },
    async onRetry(deps, payload) {
      const parsed = ingestPayload.safeParse(payload);
      if (parsed.success) await requeueIngest(deps, parsed.data);
    },
  },
  [JOB_INDEX_VECTORS]: { run: (deps, payload) => buildVectorIndex(deps, parse(versionPayload, payload)) },
  [JOB_ACTIVATE_VERSION]: { run: (deps, payload) => activateWhenBuilt(deps, parse(versionPayload, payload)) },
  [JOB_PURGE_VERSION]: { run: (deps, payload) => purgeVersion(deps, parse(versionPayload, payload)) },
};
