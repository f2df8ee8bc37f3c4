import { z } from '@hono/zod-openapi';

export const openAiErrorBody = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .openapi('OpenAIError');

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: openAiErrorBody } },
});

/** Error responses of every /v1 route, in OpenAI's shape. */
export const openAiErrors = {
  400: error('Invalid request'),
  401: error('Missing or invalid bearer token'),
  403: error('Insufficient role'),
  409: error('The same Idempotency-Key is still being processed'),
  422: error('Unusable schema, or Idempotency-Key reused with a different body'),
  429: error('Rate limit exceeded'),
  500: error('Unexpected server error'),
  502: error('The model provider failed'),
  503: error('The model provider is unavailable or rate limiting'),
  504: error('The model provider timed out'),
} as const;
