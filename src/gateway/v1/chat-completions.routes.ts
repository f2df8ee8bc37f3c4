import { createRoute, z } from '@hono/zod-openapi';
import { quotaDemands } from '../../billing/quotas/quota-demands.ts';
import { guarded } from '../../guards/guarded.middleware.ts';
import { safeString, withSafeText } from '../../http/text-safety.ts';
import { modelNameSchema, openAiErrorResponses, openAiErrorSchema } from './v1.schemas.ts';

// The subset of OpenAI's wire format cairn accepts. Unknown fields are tolerated (clients send
// many), but every field cairn forwards is checked.

const textPart = z.object({ type: z.literal('text'), text: safeString() });
const content = z.union([safeString(), z.array(textPart).min(1)]).openapi({
  description: 'Text, or a list of text parts (images and audio are not supported).',
});

const toolCall = z.object({
  id: safeString().min(1),
  type: z.literal('function'),
  function: z.object({ name: safeString().min(1), arguments: safeString() }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content, name: safeString().optional() }),
  z.object({ role: z.literal('user'), content, name: safeString().optional() }),
  z.object({
    role: z.literal('assistant'),
    content: content.nullable().optional(),
    tool_calls: z.array(toolCall).optional(),
    name: safeString().optional(),
  }),
  z.object({ role: z.literal('tool'), content, tool_call_id: safeString().min(1) }),
]);

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[\w-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
    description: safeString().max(4096).optional(),
    parameters: withSafeText(z.record(z.string(), z.unknown())).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(/^[\w-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
      description: safeString().optional(),
      schema: withSafeText(z.record(z.string(), z.unknown())).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

export const chatCompletionRequestSchema = z
  .looseObject({
    model: modelNameSchema.openapi({ example: 'gpt-4o-mini' }),
    messages: z.array(message).min(1).max(1000),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    tools: z.array(tool).max(128).optional(),
    tool_choice: z
      .union([
        z.enum(['none', 'auto', 'required']),
        z.object({ type: z.literal('function'), function: z.object({ name: safeString() }) }),
      ])
      .optional(),
    response_format: responseFormat.optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    stop: z
      .union([safeString(), z.array(safeString()).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().nullable().optional(),
    n: z.literal(1).nullable().optional().openapi({ description: 'Only one choice is supported.' }),
    user: safeString().max(256).optional(),
  })
  .openapi('ChatCompletionRequest', {
    example: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in French.' }] },
  });

/** OpenAI's usage object: on a completion, and on a stream's last chunk when asked for. */
export const chatUsageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int() }).optional(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).optional(),
});

export const chatCompletionResponseSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.null(),
          tool_calls: z.array(toolCall).optional(),
        }),
        finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']),
        logprobs: z.null(),
      }),
    ),
    usage: chatUsageSchema,
  })
  .openapi('ChatCompletion');

const chatCompletionChunkSchema = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({
          role: z.literal('assistant').optional().openapi({ description: 'On the first chunk' }),
          content: z.string().optional(),
          tool_calls: z
            .array(
              z.object({
                index: z.number().int(),
                id: z.string().optional(),
                type: z.literal('function').optional(),
                function: z.object({ name: z.string().optional(), arguments: z.string() }),
              }),
            )
            .optional(),
        }),
        finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter']).nullable(),
        logprobs: z.null(),
      }),
    ),
    usage: chatUsageSchema.optional().openapi({
      description: 'On the last chunk (with empty `choices`) when `stream_options.include_usage` is true',
    }),
    cairn: z
      .object({ cost_usd: z.string() })
      .optional()
      .openapi({ description: "cairn's cost, beside the usage" }),
  })
  .openapi('ChatCompletionChunk');

// OpenAI's stream: `data:` lines without event names, ending with `data: [DONE]`.
const chatCompletionStreamSchema = z
  .array(
    z.object({
      data: z.union([chatCompletionChunkSchema, openAiErrorSchema, z.literal('[DONE]')]).openapi({
        description: 'A chunk; an error object if the stream fails midway; `[DONE]` last',
      }),
    }),
  )
  .openapi('ChatCompletionStreamEvents', {
    description:
      "The Server-Sent Events of `stream: true`, in order: each item is one `data:` line (no `event:` line), as in OpenAI's API.",
  });

export const createChatCompletionRoute = createRoute({
  method: 'post',
  path: '/v1/chat/completions',
  operationId: 'createChatCompletion',
  tags: ['openai-compatible'],
  summary: 'OpenAI-compatible chat completions (stream: true answers Server-Sent Events)',
  ...guarded({ routeClass: 'model', idempotent: true, quota: quotaDemands.chatCompletion }),
  request: {
    body: { required: true, content: { 'application/json': { schema: chatCompletionRequestSchema } } },
  },
  responses: {
    200: {
      description: 'A completion, or an SSE stream of chunks ending with [DONE]',
      content: {
        'application/json': { schema: chatCompletionResponseSchema },
        'text/event-stream': { schema: chatCompletionStreamSchema },
      },
    },
    ...openAiErrorResponses,
  },
});
