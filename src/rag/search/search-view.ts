import type { SearchHit, SearchPage } from './search-chunks.ts';

export const searchHitView = (hit: SearchHit) => ({
  chunk_id: hit.chunkId,
  document_id: hit.documentId,
  document_title: hit.documentTitle,
  text: hit.text,
  score: hit.score,
  heading_path: hit.headingPath,
  char_start: hit.charStart,
  char_end: hit.charEnd,
});

export const indexVersionRef = (version: SearchPage['indexVersion']) => ({
  id: version.id,
  embedding_model: version.embeddingModel,
  dimensions: version.dimensions,
});

export const searchPageView = (page: SearchPage) => ({
  index_version: indexVersionRef(page.indexVersion),
  mode: page.mode,
  results: page.results.map(searchHitView),
  next_cursor: page.nextCursor,
});
