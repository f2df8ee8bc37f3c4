import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

const text = 'The release went fine.';
const violating = JSON.stringify({
  summary: 'x',
  sentiment: { label: 'great' },
  topics: 'none',
  entities: [],
  language: 'en',
});

/** A distinct user for each case of a table. */
const subFor = (label: string) => label.replace(/\W+/g, '-');

describe.each(databaseKinds)('POST /analyze failures on %s', (kind) => {
  const t = useTestApp(kind, {
    openai: true,
    env: {
      ANALYZE_MAX_ATTEMPTS: '3',
      ANALYZE_MAX_TEXT_CHARS: '200',
      ANALYZE_SCHEMA_MAX_BYTES: '600',
      ANALYZE_SCHEMA_MAX_DEPTH: '6',
    },
  });

  it('answers 502 naming the violations when every attempt breaks the schema, never the raw output', async () => {
    t.openai.script(
      { kind: 'chat', content: violating },
      { kind: 'chat', content: violating },
      { kind: 'chat', content: violating },
    );
    const res = await t.as('all-bad-alice', '/analyze', postJson({ text }, { 'X-Request-Id': 'all-bad' }));
    const problem = await expectProblem(res, 502);
    expect(problem).toMatchObject({ attempts: 3, type: 'urn:cairn:problem:upstream-invalid-output' });
    expect(problem.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/result/sentiment/label', '/result/sentiment/confidence', '/result/topics']),
    );
    expect(JSON.stringify(problem)).not.toContain('"great"');
    expect(t.openai.requests).toHaveLength(3);
    const rows = (await storedUsage(t)).filter((r) => r.requestId === 'all-bad');
    expect(rows).toHaveLength(3);
  });

  it('answers 502 when the model never produces JSON', async () => {
    t.openai.script(
      { kind: 'chat', content: 'Sure! Here is the analysis you asked for.' },
      { kind: 'chat', content: 'I cannot do that.' },
      { kind: 'chat', content: '' },
    );
    const problem = await expectProblem(await t.as('no-json-alice', '/analyze', postJson({ text })), 502);
    expect(problem.errors?.[0]?.detail).toContain('empty');
  });

  it('answers 504 when the provider times out on every attempt', async () => {
    t.openai.script({ kind: 'hang' }, { kind: 'hang' }, { kind: 'hang' });
    const problem = await expectProblem(
      await t.as('timeout-alice', '/analyze', postJson({ text, model: 'hanging' })),
      504,
    );
    expect(problem.type).toBe('urn:cairn:problem:upstream-timeout');
  });

  it('passes a provider 400 on as 400 without retrying', async () => {
    t.openai.script({ kind: 'status', status: 400, message: 'model not found' });
    const problem = await expectProblem(
      await t.as('rejected-alice', '/analyze', postJson({ text, model: 'no-such-model' })),
      400,
    );
    expect(problem.detail).toContain('model not found');
    expect(t.openai.requests).toHaveLength(1);
  });

  it('answers 503 with Retry-After while the breaker is open', async () => {
    t.openai.script(
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    await expectProblem(await t.as('breaker-alice', '/analyze', postJson({ text, model: 'broken' })), 502);
    const res = await t.as('breaker-alice', '/analyze', postJson({ text, model: 'broken' }));
    const problem = await expectProblem(res, 503);
    expect(problem.type).toBe('urn:cairn:problem:circuit-open');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(t.openai.requests).toHaveLength(3);
  });

  it.each([
    ['a missing text', {}, '/body/text'],
    ['a blank text', { text: '   \n ' }, '/body/text'],
    ['a text over ANALYZE_MAX_TEXT_CHARS', { text: 'x'.repeat(201) }, '/body/text'],
    ['a schema that is not an object', { text, schema: 'object' }, '/body/schema'],
    ['a model name with spaces', { text, model: 'gpt 4' }, '/body/model'],
  ])('rejects %s with 400', async (label, body, pointer) => {
    const problem = await expectProblem(await t.as(subFor(label), '/analyze', postJson(body)), 400);
    expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
    expect(t.openai.requests).toHaveLength(0);
  });

  const deep = {
    type: 'object',
    properties: {
      a: { type: 'object', properties: { b: { type: 'object', properties: { c: { type: 'string' } } } } },
    },
  };

  it.each([
    [
      'larger than ANALYZE_SCHEMA_MAX_BYTES',
      { type: 'object', description: 'x'.repeat(700) },
      '/body/schema',
    ],
    ['deeper than ANALYZE_SCHEMA_MAX_DEPTH', deep, '/body/schema'],
    [
      'with an unknown type',
      { type: 'object', properties: { a: { type: 'strin' } } },
      '/body/schema/properties/a/type',
    ],
    ['without an object root', { type: 'array', items: { type: 'string' } }, '/body/schema/type'],
    [
      'with a remote $ref',
      { type: 'object', properties: { a: { $ref: 'https://example.com/s.json' } } },
      '/body/schema/properties/a/$ref',
    ],
    [
      'with a dangling $ref',
      { type: 'object', properties: { a: { $ref: '#/$defs/missing' } } },
      '/body/schema/properties/a/$ref',
    ],
    [
      'with a catastrophic pattern',
      { type: 'object', properties: { a: { type: 'string', pattern: '^(a+)+$' } } },
      '/body/schema/properties/a/pattern',
    ],
    [
      'with an invalid pattern',
      { type: 'object', properties: { a: { type: 'string', pattern: '([' } } },
      '/body/schema/properties/a/pattern',
    ],
    [
      'with a negative bound',
      { type: 'object', properties: { a: { type: 'string', maxLength: -1 } } },
      '/body/schema/properties/a/maxLength',
    ],
    ['with required not a list', { type: 'object', required: 'a' }, '/body/schema/required'],
  ])('rejects a schema %s with 422', async (label, schema, pointer) => {
    const problem = await expectProblem(
      await t.as(subFor(`schema ${label}`), '/analyze', postJson({ text, schema })),
      422,
    );
    expect(problem.errors?.map((e) => e.pointer)).toContain(pointer);
    expect(t.openai.requests).toHaveLength(0);
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await t.as('malformed-alice', '/analyze', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text": ',
    });
    await expectProblem(res, 400);
  });
});
