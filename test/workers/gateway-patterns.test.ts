import { describe, expect, it } from 'vitest';
import { analyzeTextRoute } from '../../src/gateway/analyze/analyze.routes.ts';
import { readBody } from '../helpers/json-request.ts';
import { as, postJson } from './worker-client.ts';

// Caller patterns run on RE2 (re2js, pure JavaScript) inside workerd too: docs/decisions/0006.
describe('caller patterns inside workerd', () => {
  it('validates pattern and patternProperties with RE2, and refuses what RE2 cannot run', async () => {
    const schema = {
      type: 'object',
      properties: { query: { type: 'string', pattern: '^(a|a)*$' } },
      patternProperties: { '^x-': { type: 'string' } },
      required: ['query'],
    };
    const ok = await as('pat-wendy', '/analyze', postJson({ text: 'a'.repeat(2000), schema }));
    expect((await readBody(ok, analyzeTextRoute, 200)).result).toEqual({ query: 'a'.repeat(2000) });
    const bad = await as('pat-wendy', '/analyze', postJson({ text: `${'a'.repeat(2000)}!`, schema }));
    expect(bad.status).toBe(502);
    const refused = await as(
      'pat-wendy',
      '/analyze',
      postJson({
        text: 'x',
        schema: { type: 'object', properties: { a: { type: 'string', pattern: '(?=a)' } } },
      }),
    );
    expect(refused.status).toBe(422);
  });
});
