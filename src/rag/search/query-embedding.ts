import type { Deps } from '../../deps.ts';
import type { CallMeta } from '../../llm/llm-client.ts';
import type { IndexVersion } from '../index-versions/index-version.ts';
import { embedForVersion, vectorLiteral } from '../ingest/embed.ts';

/**
 * The query's vector in the version's embedding space, as pgvector text, cached per
 * version; null for a query with nothing to embed (a zero vector has no cosine distance).
 */
export async function queryEmbedding(
  deps: Pick<Deps, 'llm' | 'ragCache'>,
  version: IndexVersion,
  query: string,
  meta: CallMeta,
): Promise<string | null> {
  const key = `${version.id}\u0000${query}`;
  let vector = deps.ragCache.embeddings.get(key);
  if (!vector) {
    [vector] = await embedForVersion(deps, version, [query], meta);
    deps.ragCache.embeddings.set(key, vector!);
  }
  return vector!.some((x) => x !== 0) ? vectorLiteral(vector!) : null;
}
