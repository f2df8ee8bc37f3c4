import { sql } from 'drizzle-orm';
import { rowsOf } from '../../db/rows.ts';
import type { IndexVersionState } from '../../db/tables/rag.ts';
import type { Deps } from '../../deps.ts';
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

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** Index versions (one, or all) with build progress: documents ingested with their current content, jobs left. */
export async function listIndexVersions(deps: Pick<Deps, 'db'>, onlyId?: number) {
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
    auto_activate: v.auto_activate,
    vector_indexed: v.vector_indexed,
    chunk_count: Number(v.chunk_count),
    progress: {
      documents_total: Number(v.documents_total),
      documents_done: Number(v.documents_done),
      jobs_pending: Number(v.jobs_pending),
      jobs_dead: Number(v.jobs_dead),
    },
    created_at: iso(v.created_at)!,
    activated_at: iso(v.activated_at),
    retired_at: iso(v.retired_at),
    purged_at: iso(v.purged_at),
  }));
}

export type IndexVersionView = Awaited<ReturnType<typeof listIndexVersions>>[number];
