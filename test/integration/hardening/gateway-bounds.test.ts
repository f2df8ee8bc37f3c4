import { describe, expect, it } from 'vitest';
import { analyzeTextRoute } from '../../../src/gateway/analyze/analyze.routes.ts';
import { createChatCompletionRoute } from '../../../src/gateway/v1/chat-completions.routes.ts';
import { createEmbeddingsRoute } from '../../../src/gateway/v1/embeddings.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

// "No single request may stall, crash or brick cairn": what a caller's schema may demand of the
// local model, schemas nested thousands deep, patterns that backtrack, and megabyte inputs to the
// token counter and the local heuristics. Every request runs while /health is probed.

type OpenAiError = { error: { message: string; type: string; param: string | null; code: string | null } };

let seed = 99;
const randomLetters = (n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz') => {
  const chars = Array.from(alphabet);
  return Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return chars[Math.floor((seed / 2147483648) * chars.length)];
  }).join('');
};

/** A JSON body sent as written: the tests build bodies nested deeper than JSON.stringify could. */
const rawJson = (body: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
});

/** A schema nested `depth` levels: properties of properties of ..., or (compact) arrays in a keyword. */
const deepSchema = (depth: number, compact = false) =>
  compact
    ? `{"type":"object","x-deep":${'['.repeat(depth)}${']'.repeat(depth)}}`
    : `${'{"type":"object","properties":{"a":'.repeat(depth)}{"type":"string"}${'}}'.repeat(depth)}`;

const chat = (body: Record<string, unknown>) => postJson({ model: 'local', ...body });
const hi = [{ role: 'user', content: 'What does Acme Corp do in London?' }];

describe.each(databaseKinds)('gateway bounds on %s', (kind) => {
  const t = useTestApp(kind);
  const responsive = <T>(work: () => Promise<T>) =>
    expectResponsive(() => t.request('/health'), work).then((r) => r.result);

  async function openAiError(res: Response, status: number): Promise<OpenAiError['error']> {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    const body = JSON.parse(text) as OpenAiError;
    expect(body.error.type).toBe('invalid_request_error');
    return body.error;
  }

  describe('what a schema may demand of the local model (finding 1)', () => {
    it('answers 422 to six arrays of minItems 100 000 000 (a heap OOM before), at each keyword', async () => {
      const arrays = Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [
          `a${i}`,
          { type: 'array', items: { type: 'string' }, minItems: 1e8 },
        ]),
      );
      const schema = { type: 'object', properties: arrays, required: Object.keys(arrays) };
      const problem = await expectProblem(
        await responsive(() => t.as('bounds-items', '/analyze', postJson({ text: 'Six lists.', schema }))),
        422,
      );
      expect(problem.errors?.map((e) => e.pointer)).toEqual(
        Object.keys(arrays).map((k) => `/body/schema/properties/${k}/minItems`),
      );
    });

    it('answers 422 to minItems 3e6 and minLength 20 000 (7 s and 4.4 s before)', async () => {
      for (const [property, pointer] of [
        [{ type: 'array', minItems: 3_000_000 }, 'minItems'],
        [{ type: 'string', minLength: 20_000 }, 'minLength'],
      ] as const) {
        const schema = { type: 'object', properties: { a: property }, required: ['a'] };
        const problem = await expectProblem(
          await responsive(() => t.as('bounds-items', '/analyze', postJson({ text: 'Big.', schema }))),
          422,
        );
        expect(problem.errors?.[0]?.pointer).toBe(`/body/schema/properties/a/${pointer}`);
      }
    });

    it('answers 422 to demands that only multiply out too large', async () => {
      const schema = {
        type: 'object',
        properties: {
          grid: {
            type: 'array',
            minItems: 1000,
            items: { type: 'array', minItems: 1000, items: { type: 'string', minLength: 100 } },
          },
        },
        required: ['grid'],
      };
      const problem = await expectProblem(
        await t.as('bounds-grid', '/analyze', postJson({ text: 'Grid.', schema })),
        422,
      );
      expect(problem.errors?.[0]).toMatchObject({
        pointer: '/body/schema',
        detail: expect.stringMatching(/demands/),
      });
    });

    it('holds /v1 response schemas to the same bounds, in OpenAI shape', async () => {
      const error = await openAiError(
        await responsive(() =>
          t.as(
            'bounds-v1',
            '/v1/chat/completions',
            chat({
              messages: hi,
              response_format: {
                type: 'json_schema',
                json_schema: {
                  name: 'big',
                  schema: { type: 'object', properties: { a: { type: 'array', minItems: 3_000_000 } } },
                },
              },
            }),
          ),
        ),
        422,
      );
      expect(error.param).toBe('response_format.json_schema.schema.properties.a.minItems');
    });

    it('checks tool parameters too (never checked before)', async () => {
      const tool = (parameters: Record<string, unknown>) => ({
        type: 'function',
        function: { name: 'lookup', description: 'Look up a thing', parameters },
      });
      const cases: [Record<string, unknown>, string][] = [
        [
          { type: 'object', properties: { a: { type: 'array', minItems: 1e8 } } },
          'tools[0].function.parameters.properties.a.minItems',
        ],
        [
          { type: 'object', properties: { a: { $ref: '#' } }, required: ['a'] },
          'tools[0].function.parameters',
        ],
        [
          { type: 'object', properties: { a: { type: 'string', pattern: '(?=x)' } } },
          'tools[0].function.parameters.properties.a.pattern',
        ],
      ];
      for (const [parameters, param] of cases) {
        const error = await openAiError(
          await responsive(() =>
            t.as('bounds-tools', '/v1/chat/completions', chat({ messages: hi, tools: [tool(parameters)] })),
          ),
          422,
        );
        expect(error.param).toBe(param);
      }
    });

    it('fills self-referencing tool parameters with one level (40 MB before)', async () => {
      const parameters = {
        type: 'object',
        properties: { a: { $ref: '#' }, b: { $ref: '#' }, c: { $ref: '#' } },
      };
      const res = await responsive(() =>
        t.as(
          'bounds-refs',
          '/v1/chat/completions',
          chat({
            messages: hi,
            tools: [{ type: 'function', function: { name: 'lookup', parameters } }],
            tool_choice: { type: 'function', function: { name: 'lookup' } },
          }),
        ),
      );
      const body = await readBody(res, createChatCompletionRoute, 200);
      const args = body.choices[0]?.message.tool_calls?.[0]?.function.arguments ?? '';
      expect(args.length).toBeGreaterThan(2);
      expect(args.length).toBeLessThan(10_000);
    });
  });

  describe('schemas nested thousands of levels deep (finding 2)', () => {
    for (const [depth, compact] of [
      [5000, false],
      [200_000, true],
    ] as const) {
      it(`answers 422, never 500, to ${depth} levels in every caller schema`, async () => {
        const schema = deepSchema(depth, compact);
        const analyze = await responsive(() =>
          t.as('bounds-deep', '/analyze', rawJson(`{"text":"Deep.","schema":${schema}}`)),
        );
        expect((await expectProblem(analyze, 422)).errors?.[0]?.pointer).toBe('/body/schema');
        const format = await responsive(() =>
          t.as(
            'bounds-deep',
            '/v1/chat/completions',
            rawJson(
              `{"model":"local","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"d","schema":${schema}}}}`,
            ),
          ),
        );
        expect((await openAiError(format, 422)).param).toBe('response_format.json_schema.schema');
        const tools = await responsive(() =>
          t.as(
            'bounds-deep',
            '/v1/chat/completions',
            rawJson(
              `{"model":"local","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`,
            ),
          ),
        );
        expect((await openAiError(tools, 422)).param).toBe('tools[0].function.parameters');
        // A field cairn does not read, nested as deep, is ignored.
        const extra = await responsive(() =>
          t.as(
            'bounds-deep',
            '/v1/chat/completions',
            rawJson(`{"model":"local","messages":[{"role":"user","content":"hi"}],"metadata":${schema}}`),
          ),
        );
        expect(extra.status).toBe(200);
      });
    }
  });

  describe('patterns that backtracked (finding 3)', () => {
    it.each([
      ['^(a|a)*$', 5000],
      ['^(?:a|a)*$', 5000],
      ['^(a|a){1,100}$', 100],
    ])(
      'runs %s on the echoed text in linear time (8.3 s for 28 characters before)',
      async (pattern, length) => {
        const schema = {
          type: 'object',
          properties: { query: { type: 'string', pattern } },
          required: ['query'],
        };
        const bad = await responsive(() =>
          t.as('bounds-pattern', '/analyze', postJson({ text: `${'a'.repeat(5000)}!`, schema })),
        );
        const problem = await expectProblem(bad, 502);
        expect(problem.errors).toContainEqual({
          pointer: '/result/query',
          detail: 'String does not match pattern.',
        });
        const good = await responsive(() =>
          t.as('bounds-pattern', '/analyze', postJson({ text: 'a'.repeat(length), schema })),
        );
        expect((await readBody(good, analyzeTextRoute, 200)).result).toEqual({ query: 'a'.repeat(length) });
      },
    );

    it('answers 422 pointing at a pattern RE2 cannot run', async () => {
      for (const pattern of ['(?<=a)b', '(a)\\1']) {
        const schema = { type: 'object', properties: { q: { type: 'string', pattern } } };
        const problem = await expectProblem(
          await t.as('bounds-pattern', '/analyze', postJson({ text: 'x', schema })),
          422,
        );
        expect(problem.errors?.[0]?.pointer).toBe('/body/schema/properties/q/pattern');
      }
    });

    it('checks the url format on an echoed link without backtracking', async () => {
      const schema = {
        type: 'object',
        properties: { link: { type: 'string', format: 'url' } },
        required: ['link'],
      };
      const res = await responsive(() =>
        t.as('bounds-url', '/analyze', postJson({ text: `See http://${'a'.repeat(60)}! now`, schema })),
      );
      expect(res.status).toBe(200);
    });
  });

  describe('megabyte inputs to /v1 (finding 4)', () => {
    it('answers a 160 KB one-word message (11 s before) and a 1 MB body of CJK', async () => {
      for (const content of [randomLetters(160_000), randomLetters(330_000, '漢字日本語中文字符東京')]) {
        const res = await responsive(() =>
          t.as('bounds-large', '/v1/chat/completions', chat({ messages: [{ role: 'user', content }] })),
        );
        const body = await readBody(res, createChatCompletionRoute, 200);
        expect(body.usage.prompt_tokens).toBeGreaterThan(1000);
      }
    });

    it('fills an expression tool from 100k digits (13 s before) and an email field from 100k letters (12 s)', async () => {
      const tools = [
        {
          type: 'function',
          function: {
            name: 'calculator',
            description: 'Evaluate an arithmetic expression',
            parameters: { type: 'object', properties: { expression: { type: 'string' } } },
          },
        },
      ];
      const digits = await responsive(() =>
        t.as(
          'bounds-large',
          '/v1/chat/completions',
          chat({
            messages: [{ role: 'user', content: '7'.repeat(100_000) }],
            tools,
            tool_choice: 'required',
          }),
        ),
      );
      expect((await readBody(digits, createChatCompletionRoute, 200)).choices[0]?.finish_reason).toBe(
        'tool_calls',
      );
      const schema = { type: 'object', properties: { email: { type: 'string' } } };
      const letters = await responsive(() =>
        t.as(
          'bounds-large',
          '/v1/chat/completions',
          chat({
            messages: [{ role: 'user', content: randomLetters(100_000) }],
            response_format: { type: 'json_schema', json_schema: { name: 'e', schema } },
          }),
        ),
      );
      expect(
        JSON.parse(
          (await readBody(letters, createChatCompletionRoute, 200)).choices[0]?.message.content ?? '',
        ),
      ).toEqual({ email: '' });
    });

    it('embeds a megabyte of one word', async () => {
      const res = await responsive(() =>
        t.as(
          'bounds-large',
          '/v1/embeddings',
          postJson({ model: 'local', input: [randomLetters(500_000), randomLetters(400_000)] }),
        ),
      );
      expect((await readBody(res, createEmbeddingsRoute, 200)).data).toHaveLength(2);
    });
  });

  describe('tool choice and output length (finding 5)', () => {
    it('answers 400 to a tool choice naming no defined function', async () => {
      const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }];
      for (const body of [
        { messages: hi, tools, tool_choice: { type: 'function', function: { name: 'missing' } } },
        { messages: hi, tool_choice: { type: 'function', function: { name: 'lookup' } } },
        { messages: hi, tool_choice: 'required' },
      ]) {
        const error = await openAiError(await t.as('bounds-choice', '/v1/chat/completions', chat(body)), 400);
        expect(error.param).toBe('tool_choice');
      }
    });

    it('answers 400 to max_tokens beyond LLM_MAX_OUTPUT_TOKENS, and accepts it at the limit', async () => {
      for (const field of ['max_tokens', 'max_completion_tokens']) {
        const error = await openAiError(
          await t.as('bounds-tokens', '/v1/chat/completions', chat({ messages: hi, [field]: 1e12 })),
          400,
        );
        expect(error.param).toBe(field);
      }
      const limit = t.deps.config.LLM_MAX_OUTPUT_TOKENS;
      const res = await t.as(
        'bounds-tokens',
        '/v1/chat/completions',
        chat({ messages: hi, max_tokens: limit }),
      );
      expect(res.status).toBe(200);
    });
  });
});
