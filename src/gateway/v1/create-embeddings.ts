import { validationFailed } from '../../errors.ts';
import type { CallAccounting, CallMeta, EmbedResponse, LlmClient } from '../../llm/llm-client.ts';
import { LlmError } from '../../llm/llm-error.ts';
import type { EmbeddingsBody } from './embeddings.routes.ts';

/** Embeds the texts with the configured embedding provider (with cairn's retries and accounting). */
export async function createEmbeddings(
  deps: { llm: LlmClient },
  body: EmbeddingsBody,
  meta: CallMeta,
  signal?: AbortSignal,
): Promise<EmbedResponse & { accounting: CallAccounting }> {
  if (body.dimensions !== undefined && body.dimensions !== deps.llm.embeddingDimensions) {
    throw validationFailed('This deployment embeds at a fixed size.', [
      { pointer: '/body/dimensions', detail: `must be ${deps.llm.embeddingDimensions} (or omitted)` },
    ]);
  }
  const texts = typeof body.input === 'string' ? [body.input] : body.input;
  const response = await deps.llm.embed({ model: body.model, texts, meta, signal });
  if (!response.accounting) throw new LlmError('invalid_response', 'The model call was not accounted.');
  return { ...response, accounting: response.accounting };
}
