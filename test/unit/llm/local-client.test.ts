import { Validator } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../../../src/llm/llm-client.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';

const local = createLocalClient({ embeddingDimensions: 64 });
const text =
  'Acme Corp released a great update in London. CEO Jane Smith said customers love the faster search, though some reported bugs.';

async function structured(schema: JsonSchema) {
  const reply = await local.chat({
    messages: [
      { role: 'system', content: 'Reply with JSON.' },
      { role: 'user', content: text },
    ],
    responseFormat: { type: 'json_schema', name: 'x', schema },
  });
  expect(reply.model).toBe('local');
  return JSON.parse(reply.content ?? '') as Record<string, unknown>;
}

const schemas: [string, JsonSchema][] = [
  [
    'nested objects, enums and bounded numbers',
    {
      type: 'object',
      properties: {
        sentiment: { type: 'string', enum: ['pos', 'neg', 'neu'] },
        score: { type: 'number', minimum: -1, maximum: 1 },
        rating: { type: 'integer', minimum: 1, maximum: 5 },
        meta: {
          type: 'object',
          properties: { lang: { type: 'string', minLength: 2, maxLength: 2 } },
          required: ['lang'],
        },
      },
      required: ['sentiment', 'score', 'rating', 'meta'],
      additionalProperties: false,
    },
  ],
  [
    'arrays with bounds and unique items',
    {
      type: 'object',
      properties: {
        keywords: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, uniqueItems: true },
        people: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              kind: { enum: ['person', 'organization', 'location', 'other'] },
            },
            required: ['name', 'kind'],
          },
        },
        padding: { type: 'array', items: { type: 'boolean' }, minItems: 3 },
      },
      required: ['keywords', 'people', 'padding'],
    },
  ],
  [
    'refs, anyOf, const and formats',
    {
      type: 'object',
      $defs: { entity: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      properties: {
        main: { $ref: '#/$defs/entity' },
        version: { const: 2 },
        note: { anyOf: [{ type: 'null' }, { type: 'string', maxLength: 10 }] },
        when: { type: 'string', format: 'date-time' },
        contact: { type: 'string', format: 'email' },
        count: { type: 'integer', multipleOf: 5, exclusiveMinimum: 0 },
      },
      required: ['main', 'version', 'note', 'when', 'contact', 'count'],
    },
  ],
];

describe('local provider', () => {
  it.each(schemas)('builds JSON that validates against a schema with %s', async (_, schema) => {
    const value = await structured(schema);
    const result = new Validator(schema, '2020-12', false).validate(value);
    expect(result.errors).toEqual([]);
  });

  it('fills a schema from what the text says', async () => {
    const value = await structured({
      type: 'object',
      properties: {
        summary: { type: 'string' },
        sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
        entities: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } },
        },
        language: { type: 'string' },
      },
    });
    expect(value.summary).toContain('Acme Corp');
    expect(value.sentiment).toBe('positive');
    expect(value.language).toBe('en');
    expect(value.entities).toEqual(
      expect.arrayContaining([
        { name: 'Acme Corp', type: 'organization' },
        { name: 'London', type: 'location' },
        { name: 'Jane Smith', type: 'person' },
      ]),
    );
  });

  const tools = [
    {
      name: 'search_documents',
      description: 'Search the knowledge base for passages',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
    {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
    {
      name: 'calculator',
      description: 'Evaluate an arithmetic expression',
      parameters: { type: 'object', properties: { expression: { type: 'string' } } },
    },
  ];

  it.each([
    ['What is the weather in Paris?', 'get_weather', { city: 'Paris' }],
    [
      'Search the knowledge base for HNSW tuning',
      'search_documents',
      { query: 'Search the knowledge base for HNSW tuning' },
    ],
    ['How much is 12 * (3 + 4)?', 'calculator', { expression: '12 * (3 + 4)' }],
  ])('selects a tool by rule: %s', async (question, name, args) => {
    const reply = await local.chat({ messages: [{ role: 'user', content: question }], tools });
    expect(reply.finishReason).toBe('tool_calls');
    expect(reply.toolCalls).toHaveLength(1);
    expect(reply.toolCalls[0]?.name).toBe(name);
    expect(JSON.parse(reply.toolCalls[0]!.arguments)).toEqual(args);
  });

  it('answers without tools when none fits, when told not to, and after a tool result', async () => {
    const none = await local.chat({
      messages: [{ role: 'user', content: 'Tell me a joke about otters' }],
      tools,
    });
    expect(none.toolCalls).toEqual([]);
    const forbidden = await local.chat({
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      toolChoice: 'none',
    });
    expect(forbidden.toolCalls).toEqual([]);
    const after = await local.chat({
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        },
        { role: 'tool', toolCallId: 'c1', content: 'The weather in Paris is sunny and 21 degrees.' },
      ],
      tools,
    });
    expect(after.toolCalls).toEqual([]);
    expect(after.content).toContain('sunny');
  });

  it('honours a forced tool choice', async () => {
    const reply = await local.chat({
      messages: [{ role: 'user', content: 'anything' }],
      tools,
      toolChoice: { name: 'calculator' },
    });
    expect(reply.toolCalls[0]?.name).toBe('calculator');
  });

  it('streams tool calls and text, ending with a done event', async () => {
    const events = [];
    for await (const e of local.chatStream({
      messages: [{ role: 'user', content: 'Weather in Rome today?' }],
      tools,
    }))
      events.push(e);
    expect(events[0]).toMatchObject({ type: 'tool_call_delta', index: 0, name: 'get_weather' });
    expect(events.at(-1)).toMatchObject({ type: 'done', model: 'local', finishReason: 'tool_calls' });
  });
});
