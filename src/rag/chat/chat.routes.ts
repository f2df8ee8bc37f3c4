import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses, sseContent, sseEvent } from '../../http/openapi.ts';
import { problemSchema } from '../../http/problem.ts';
import { safeString, withSafeText } from '../../http/text-safety.ts';
import { securityReportSchema } from '../../security/security.schemas.ts';
import { citationSchema, indexVersionRefSchema, searchFiltersSchema } from '../rag.schemas.ts';

const usageSchema = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() }).nullable();

export const chatResponseSchema = z
  .object({
    conversation_id: z.uuid(),
    message_id: z.number().int(),
    answer: z.string(),
    grounded: z.boolean().openapi({ description: 'False when the context did not contain the answer' }),
    citations: z.array(citationSchema),
    model: z.string(),
    usage: usageSchema,
    index_version: indexVersionRefSchema,
    context: z.object({
      chunks: z.number().int().openapi({ description: 'Chunks given to the model' }),
      retrieved: z.number().int(),
      tokens: z.number().int(),
      budget: z.number().int(),
    }),
    security: securityReportSchema.optional(),
  })
  .openapi('ChatResponse');

// What `stream: true` answers: the answer's text as it comes, then what the JSON answer holds.
const chatStreamContent = sseContent(
  'ChatStreamEvents',
  [
    sseEvent('delta', z.object({ content: z.string() }), 'A piece of the answer'),
    sseEvent('citations', z.array(citationSchema), 'The citations of the answer'),
    sseEvent('usage', usageSchema, "The model's token usage"),
    sseEvent('done', chatResponseSchema, 'The whole answer, as the JSON response holds it; the last event'),
    sseEvent('error', problemSchema, 'The answer failed midway (a problem); the last event'),
  ],
  'The events of `stream: true`, in order: `delta` events, then `citations`, `usage` and `done`, or `error`.',
);

const chatRequestSchema = z
  .object({
    message: safeString().trim().min(1).max(8000).openapi({ example: 'When should I use a partial index?' }),
    conversation_id: z.uuid().optional().openapi({ description: 'Continue this conversation' }),
    stream: z.boolean().default(false).openapi({ description: 'Answer as Server-Sent Events' }),
    top_k: z.number().int().min(1).max(50).optional(),
    filters: withSafeText(searchFiltersSchema).optional(),
  })
  .openapi('ChatRequest', { example: { message: 'When should I use a partial index?', stream: false } });

export const chatRoute = createRoute({
  method: 'post',
  path: '/chat',
  operationId: 'chat',
  tags: ['chat'],
  summary: 'Answer a question from your documents, with citations (JSON, or SSE with stream: true)',
  description:
    'SSE events: `delta` ({content}), then `citations` ([Citation]), `usage` ({input_tokens, output_tokens}) and `done` (the ChatResponse); `error` (a problem) if the answer fails midway. The question and the retrieved chunks are screened for prompt injection (`security` in the response); with INJECTION_DETECTION=block a flagged question is refused (422 prompt-injection) and a flagged chunk is left out of the context.',
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.ragChat }),
  request: { body: { required: true, content: { 'application/json': { schema: chatRequestSchema } } } },
  responses: {
    200: {
      description: 'The answer',
      content: {
        'application/json': { schema: chatResponseSchema },
        ...chatStreamContent,
      },
    },
    ...authErrorResponses,
    ...problemResponses,
  },
});
