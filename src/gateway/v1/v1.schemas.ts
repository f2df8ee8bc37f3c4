import { z } from 'zod';
import { safeString } from '../../http/text-safety.ts';

// Schema pieces more than one /v1 route uses (docs/conventions.md). Plain zod, as this is not a
// route file: `.meta({ id })` names an OpenAPI component the way `.openapi(name)` does there.

/** A model name as OpenAI's API takes it; any name, checked by the provider. */
export const modelNameSchema = safeString().min(1).max(200);

export const openAiErrorSchema = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'OpenAIError' });

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: openAiErrorSchema } },
});

/** Error responses of every /v1 route, in OpenAI's shape. */
export const openAiErrorResponses = {
  400: error('Invalid request'),
  401: error('Missing or invalid bearer token'),
  403: error('Insufficient role'),
  409: error('The same Idempotency-Key is still being processed'),
  413: error('Request body larger than BODY_LIMIT_BYTES (payload_too_large)'),
  415: error('The request body is not JSON (unsupported_media_type)'),
  422: error(
    'Unusable schema, Idempotency-Key reused with a different body, or (INJECTION_DETECTION=block on chat completions) a user message refused as a prompt injection (prompt_injection)',
  ),
  429: error('Rate limit exceeded, or a usage quota of the plan exhausted (insufficient_quota)'),
  500: error('Unexpected server error'),
  502: error('The model provider failed'),
  503: error('The model provider is unavailable or rate limiting'),
  504: error('The model provider timed out'),
} as const;
