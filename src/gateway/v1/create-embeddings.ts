import { validationFailed } from '../../errors.ts';
import type { Accounted, AccountedLlm, CallMeta, EmbedResponse } from '../../llm/llm-client.ts';

export interface EmbeddingsInput {
  model: string;
  texts: string[];
  /** The vector size the caller expects; this deployment's is fixed. */
  dimensions?: number;
  meta: CallMeta;
  signal?: AbortSignal;
}

/** Embeds the texts with the configured embedding provider (with cairn's retries and accounting). */
export async function createEmbeddings(
  deps: { llm: AccountedLlm },
  input: EmbeddingsInput,
): Promise<Accounted<EmbedResponse>> {
  if (input.dimensions !== undefined && input.dimensions !== deps.llm.embeddingDimensions) {
    throw validationFailed('This deployment embeds at a fixed size.', [
      { pointer: '/body/dimensions', detail: `must be ${deps.llm.embeddingDimensions} (or omitted)` },
    ]);
  }
  return deps.llm.embed({ model: input.model, texts: input.texts, meta: input.meta, signal: input.signal });
}
