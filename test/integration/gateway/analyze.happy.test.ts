import { describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/gateway/analyze/analysis-schema.ts';
import { analyzeTextRoute } from '../../../src/gateway/analyze/analyze.routes.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

const review =
  'Acme Corp shipped the new search in Berlin last week. Customers love how fast it is, and CEO Jane Doe called the launch excellent.';

const validAnalysis = {
  summary: 'Acme shipped a fast search.',
  sentiment: { label: 'positive', confidence: 0.9 },
  topics: ['search'],
  entities: [{ name: 'Acme Corp', type: 'organization' }],
  language: 'en',
};

describe.each(databaseKinds)('POST /analyze on %s', (kind) => {
  describe('with the local provider', () => {
    const t = useTestApp(kind);

    it('returns the default analysis, validated, with usage and the cost headers', async () => {
      const res = await t.as(
        'local-alice',
        '/analyze',
        postJson({ text: review }, { 'X-Request-Id': 'analyze-local-1' }),
      );
      const body = await readBody(res, analyzeTextRoute, 200);
      expect(analysisSchema.safeParse(body.result).success).toBe(true);
      expect(body.result).toMatchObject({ sentiment: { label: 'positive' }, language: 'en' });
      expect(body.result.entities).toEqual(
        expect.arrayContaining([
          { name: 'Acme Corp', type: 'organization' },
          { name: 'Berlin', type: 'location' },
          { name: 'Jane Doe', type: 'person' },
        ]),
      );
      expect(body).toMatchObject({ model: 'local', attempts: 1, request_id: 'analyze-local-1' });
      expect(body.usage.tokens_in).toBeGreaterThan(0);
      expect(body.usage.tokens_out).toBeGreaterThan(0);
      expect(body.usage.cost_usd).toBe(0);
      expect(res.headers.get('x-cairn-cost-usd')).toBe('0');
      expect(Number(res.headers.get('x-cairn-overhead-ms'))).toBeGreaterThanOrEqual(0);
    });

    it('fills a caller-supplied JSON Schema', async () => {
      const schema = {
        type: 'object',
        properties: {
          tone: { type: 'string', enum: ['happy', 'unhappy', 'neutral'] },
          keywords: { type: 'array', items: { type: 'string' }, maxItems: 3 },
          stars: { type: 'integer', minimum: 1, maximum: 5 },
        },
        required: ['tone', 'keywords', 'stars'],
        additionalProperties: false,
      };
      const res = await t.as('local-bob', '/analyze', postJson({ text: review, schema }));
      const body = await readBody(res, analyzeTextRoute, 200);
      expect(Object.keys(body.result).sort()).toEqual(['keywords', 'stars', 'tone']);
      expect((body.result.keywords as string[]).length).toBeLessThanOrEqual(3);
      expect(body.result.stars).toBeGreaterThanOrEqual(1);
    });

    it('replays an idempotent request without calling the model or billing again', async () => {
      const key = { 'Idempotency-Key': 'analyze-once', 'X-Request-Id': 'analyze-idem-1' };
      const first = await t.as('local-erin', '/analyze', postJson({ text: review }, key));
      const again = await t.as(
        'local-erin',
        '/analyze',
        postJson({ text: review }, { ...key, 'X-Request-Id': 'analyze-idem-2' }),
      );
      expect(await readBody(again, analyzeTextRoute, 200)).toEqual(
        await readBody(first, analyzeTextRoute, 200),
      );
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const rows = (await storedUsage(t)).filter((r) => r.requestId?.startsWith('analyze-idem-'));
      expect(rows.map((r) => r.requestId)).toEqual(['analyze-idem-1']);
    });

    it('stores one usage event per model call under the caller', async () => {
      await t.as(
        'local-carol',
        '/analyze',
        postJson({ text: review }, { 'X-Request-Id': 'analyze-usage-1' }),
      );
      const rows = (await storedUsage(t)).filter((r) => r.requestId === 'analyze-usage-1');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        userId: 'local-carol',
        route: '/analyze',
        provider: 'local',
        model: 'local',
        operation: 'chat',
        tokensEstimated: true,
        status: 'ok',
        attempts: 1,
      });
    });
  });

  describe('with an OpenAI-compatible provider', () => {
    const t = useTestApp(kind, { openai: true });

    it('asks in structured-output mode and returns the validated JSON with its cost', async () => {
      t.openai.script({
        kind: 'chat',
        content: JSON.stringify(validAnalysis),
        usage: { prompt: 2000, completion: 100 },
      });
      const res = await t.as('remote-alice', '/analyze', postJson({ text: review }));
      const body = await readBody(res, analyzeTextRoute, 200);
      expect(body.result).toEqual(validAnalysis);
      const cost = (2000 * 0.15 + 100 * 0.6) / 1e6;
      expect(body.usage).toEqual({ tokens_in: 2000, tokens_out: 100, cost_usd: cost });
      expect(Number(res.headers.get('x-cairn-cost-usd'))).toBeCloseTo(cost, 10);
      const sent = t.openai.requests[0]?.body as {
        response_format: { type: string; json_schema: { strict: boolean; schema: unknown } };
        messages: { role: string; content: string }[];
      };
      expect(sent.response_format.type).toBe('json_schema');
      expect(sent.response_format.json_schema.strict).toBe(true);
      expect(sent.messages.at(-1)).toEqual({ role: 'user', content: `<document>\n${review}\n</document>` });
    });

    it('repairs invalid JSON on the second attempt, feeding the error back', async () => {
      t.openai.script(
        { kind: 'chat', content: '{"summary": "unterminated', usage: { prompt: 100, completion: 10 } },
        { kind: 'chat', content: JSON.stringify(validAnalysis), usage: { prompt: 150, completion: 20 } },
      );
      const res = await t.as(
        'remote-bob',
        '/analyze',
        postJson({ text: review }, { 'X-Request-Id': 'repair-json' }),
      );
      const body = await readBody(res, analyzeTextRoute, 200);
      expect(body.attempts).toBe(2);
      expect(body.usage).toMatchObject({ tokens_in: 250, tokens_out: 30 });
      const retry = t.openai.requests[1]?.body as { messages: { role: string; content: string }[] };
      expect(retry.messages.at(-2)).toEqual({ role: 'assistant', content: '{"summary": "unterminated' });
      expect(retry.messages.at(-1)?.content).toContain('not valid JSON');
      const rows = (await storedUsage(t)).filter((r) => r.requestId === 'repair-json');
      expect(rows.map((r) => r.tokensIn)).toEqual([100, 150]);
    });

    it('repairs a schema violation on the second attempt, naming the field', async () => {
      t.openai.script(
        {
          kind: 'chat',
          content: JSON.stringify({ ...validAnalysis, sentiment: { label: 'ecstatic', confidence: 2 } }),
        },
        { kind: 'chat', content: JSON.stringify(validAnalysis) },
      );
      const res = await t.as('remote-carol', '/analyze', postJson({ text: review }));
      expect((await readBody(res, analyzeTextRoute, 200)).attempts).toBe(2);
      const feedback = (t.openai.requests[1]!.body as { messages: { content: string }[] }).messages.at(
        -1,
      )?.content;
      expect(feedback).toContain('/sentiment/label');
      expect(feedback).toContain('/sentiment/confidence');
    });

    it('accepts JSON wrapped in a Markdown code fence', async () => {
      t.openai.script({ kind: 'chat', content: `\`\`\`json\n${JSON.stringify(validAnalysis)}\n\`\`\`` });
      const res = await t.as('remote-dave', '/analyze', postJson({ text: review }));
      expect((await readBody(res, analyzeTextRoute, 200)).attempts).toBe(1);
    });

    it('validates a custom schema with the JSON Schema validator and repairs violations', async () => {
      const schema = {
        type: 'object',
        properties: {
          verdict: { type: 'string', enum: ['ship', 'hold'] },
          reasons: { type: 'array', items: { type: 'string' }, minItems: 1 },
        },
        required: ['verdict', 'reasons'],
      };
      t.openai.script(
        { kind: 'chat', content: '{"verdict":"maybe","reasons":[]}' },
        { kind: 'chat', content: '{"verdict":"ship","reasons":["fast"]}' },
      );
      const res = await t.as(
        'remote-erin',
        '/analyze',
        postJson({ text: review, schema, model: 'gpt-4.1-mini' }),
      );
      const body = await readBody(res, analyzeTextRoute, 200);
      expect(body).toMatchObject({
        result: { verdict: 'ship', reasons: ['fast'] },
        attempts: 2,
        model: 'gpt-4.1-mini',
      });
      const first = t.openai.requests[0]?.body as {
        model: string;
        response_format: { json_schema: { strict: boolean; schema: unknown } };
      };
      expect(first.model).toBe('gpt-4.1-mini');
      expect(first.response_format.json_schema).toMatchObject({ strict: false, schema });
      const feedback = (t.openai.requests[1]!.body as { messages: { content: string }[] }).messages.at(
        -1,
      )?.content;
      expect(feedback).toContain('/verdict');
      expect(feedback).toContain('/reasons');
    });
  });
});
