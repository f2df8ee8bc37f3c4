import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { IndexVersionState } from '../../db/tables/rag.ts';
import type { Deps } from '../../deps.ts';
import { notFound } from '../../errors.ts';
import { JOB_INGEST } from '../job-kinds.ts';

interface VersionRow {
  id: number;
  state: IndexVersionState;
  embedding_provider: string;
  embedding_model: string;
  dimensions: number;
  chunk_size: number;
  chunk_overlap: number;
  chunk_count: number;
  auto_activate: boolean;
  vector_indexed: boolean;
  documents_total: number;
  documents_done: number;
  jobs_pending: number;
  jobs_dead: number;
  created_at: Date | string;
  activated_at: Date | string | null;
  retired_at: Date | string | null;
  purged_at: Date | string | null;
}

/** An index version with how far its build has got. */
export interface IndexVersionWithProgress {
  id: number;
  state: IndexVersionState;
  embedding: { provider: string; model: string; dimensions: number };
  chunking: { size: number; overlap: number };
  autoActivate: boolean;
  /** Whether its HNSW index is built. */
  vectorIndexed: boolean;
  chunkCount: number;
  progress: {
    /** Every document, and those ingested into this version with their current content. */
    documentsTotal: number;
    documentsDone: number;
    /** Its ingestion jobs still to run, and those in the dead-letter store. */
    jobsPending: number;
    jobsDead: number;
  };
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  purgedAt: Date | null;
}

const toDate = (value: Date | string | null) => (value === null ? null : new Date(value));

async function versionsWithProgress(
  deps: Pick<Deps, 'db'>,
  onlyId?: number,
): Promise<IndexVersionWithProgress[]> {
  const rows = rowsOf<VersionRow>(
    await deps.db.execute(sql`
      select v.id, v.state, v.embedding_provider, v.embedding_model, v.dimensions, v.chunk_size, v.chunk_overlap,
             v.chunk_count, v.auto_activate, v.vector_indexed_at is not null as vector_indexed,
             (select count(*) from documents)::int as documents_total,
             (select count(*) from document_ingestions i join documents d on d.id = i.document_id
               where i.index_version_id = v.id and i.content_hash = d.content_hash)::int as documents_done,
             (select count(*) from jobs j where j.kind = ${JOB_INGEST} and j.status in ('queued', 'running')
               and j.payload @> jsonb_build_object('indexVersionId', v.id))::int as jobs_pending,
             (select count(*) from jobs j where j.kind = ${JOB_INGEST} and j.status = 'dead'
               and j.payload @> jsonb_build_object('indexVersionId', v.id))::int as jobs_dead,
             v.created_at, v.activated_at, v.retired_at, v.purged_at
      from index_versions v
      ${onlyId === undefined ? sql`` : sql`where v.id = ${onlyId}`}
      order by v.id desc`),
  );
  return rows.map((v) => ({
    id: v.id,
    state: v.state,
    embedding: { provider: v.embedding_provider, model: v.embedding_model, dimensions: v.dimensions },
    chunking: { size: v.chunk_size, overlap: v.chunk_overlap },
    autoActivate: v.auto_activate,
    vectorIndexed: v.vector_indexed,
    chunkCount: Number(v.chunk_count),
    progress: {
      documentsTotal: Number(v.documents_total),
      documentsDone: Number(v.documents_done),
      jobsPending: Number(v.jobs_pending),
      jobsDead: Number(v.jobs_dead),
    },
    createdAt: toDate(v.created_at)!,
    activatedAt: toDate(v.activated_at),
    retiredAt: toDate(v.retired_at),
    purgedAt: toDate(v.purged_at),
  }));
}

/** Every index version with its build progress, newest first. */
export const listIndexVersions = (deps: Pick<Deps, 'db'>) => versionsWithProgress(deps);

/** One index version with its build progress; 404 if there is none with that id. */
export async function getIndexVersion(deps: Pick<Deps, 'db'>, id: number): Promise<IndexVersionWithProgress> {
  const [version] = await versionsWithProgress(deps, id);
  if (!version) throw notFound(`Index version ${id} does not exist.`);
  return version;
}
