import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import type { Accounted, EmbedResponse } from '../../llm/llm-client.ts';
import { createEmbeddings } from './create-embeddings.ts';
import type { createEmbeddingsRoute, embeddingsResponseSchema } from './embeddings.routes.ts';

/** Little-endian float32 bytes in base64, as OpenAI returns for encoding_format "base64". */
function float32Base64(vector: number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const toEmbeddingsResponse = (
  response: Accounted<EmbedResponse>,
  encoding: 'float' | 'base64',
): z.input<typeof embeddingsResponseSchema> => ({
  object: 'list',
  data: response.vectors.map((vector, index) => ({
    object: 'embedding',
    index,
    embedding: encoding === 'base64' ? float32Base64(vector) : vector,
  })),
  model: response.model,
  usage: {
    prompt_tokens: response.accounting.usage.inputTokens,
    total_tokens: response.accounting.usage.inputTokens,
  },
});

export const createEmbeddingsHandler: RouteHandler<typeof createEmbeddingsRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const response = await createEmbeddings(c.get('deps'), {
    model: body.model,
    texts: typeof body.input === 'string' ? [body.input] : body.input,
    dimensions: body.dimensions,
    meta: callMeta(c, '/v1/embeddings'),
    signal: c.req.raw.signal,
  });
  const { accounting } = response;
  c.set('modelCall', { costUsd: accounting.costUsd, upstreamMs: accounting.upstreamMs });
  return c.json(toEmbeddingsResponse(response, body.encoding_format ?? 'float'), 200);
};
