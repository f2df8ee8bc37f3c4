import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

// Text PostgreSQL cannot store as sent: NUL it refuses (a 500 before), a lone surrogate it would
// silently turn into U+FFFD. Each is a 400 naming the field, never stored altered.
const NUL = 'a\u0000b';
const HIGH = 'a\ud800b';
const LOW = 'a\udc00b';
const unsafe = [NUL, HIGH, LOW];

describe.each(databaseKinds)('unsafe text is refused with a pointer, never a 500, on %s', (kind) => {
  const t = useTestApp(kind);

  it('POST /search: query and metadata filters', async () => {
    for (const text of unsafe) {
      const query = await expectProblem(await t.as('hyg-search', '/search', postJson({ query: text })), 400);
      expect(query.errors?.[0]?.pointer).toBe('/body/query');
      const value = await expectProblem(
        await t.as('hyg-search', '/search', postJson({ query: 'x', filters: { metadata: { k: text } } })),
        400,
      );
      expect(value.errors?.[0]?.pointer).toBe('/body/filters/metadata/k');
      const key = await expectProblem(
        await t.as('hyg-search', '/search', postJson({ query: 'x', filters: { metadata: { [text]: 1 } } })),
        400,
      );
      expect(key.errors?.[0]?.pointer).toBe(`/body/filters/metadata/${text}`);
    }
  });

  it('POST /chat: message and metadata filters', async () => {
    for (const text of unsafe) {
      const message = await expectProblem(await t.as('hyg-chat', '/chat', postJson({ message: text })), 400);
      expect(message.errors?.[0]?.pointer).toBe('/body/message');
      const value = await expectProblem(
        await t.as('hyg-chat', '/chat', postJson({ message: 'x', filters: { metadata: { k: text } } })),
        400,
      );
      expect(value.errors?.[0]?.pointer).toBe('/body/filters/metadata/k');
    }
  });

  it('POST /analyze: text and the schema', async () => {
    for (const text of unsafe) {
      const problem = await expectProblem(await t.as('hyg-analyze', '/analyze', postJson({ text })), 400);
      expect(problem.errors?.[0]?.pointer).toBe('/body/text');
      const schema = await expectProblem(
        await t.as(
          'hyg-analyze',
          '/analyze',
          postJson({ text: 'fine', schema: { type: 'object', description: text } }),
        ),
        400,
      );
      expect(schema.errors?.[0]?.pointer).toBe('/body/schema/description');
    }
  });

  it('POST /v1/chat/completions and /v1/embeddings: contents, parts and inputs', async () => {
    const bodies: [unknown, string][] = [];
    for (const text of unsafe) {
      bodies.push(
        [{ model: 'local', messages: [{ role: 'user', content: text }] }, 'messages[0].content'],
        [
          { model: 'local', messages: [{ role: 'user', content: [{ type: 'text', text }] }] },
          'messages[0].content[0].text',
        ],
        [{ model: 'local', messages: [{ role: 'system', content: 'ok', name: text }] }, 'messages[0].name'],
        [{ model: 'local', messages: [{ role: 'user', content: 'ok' }], user: text }, 'user'],
        [{ model: 'local', messages: [{ role: 'user', content: 'ok' }], stop: [text] }, 'stop[0]'],
      );
    }
    for (const [body, param] of bodies) {
      const res = await t.as('hyg-v1', '/v1/chat/completions', postJson(body));
      const text = await res.text();
      expect(res.status, text).toBe(400);
      expect(JSON.parse(text).error.param).toBe(param);
    }
    for (const text of unsafe) {
      for (const [input, param] of [
        [text, 'input'],
        [['ok', text], 'input[1]'],
      ] as const) {
        const res = await t.as('hyg-v1', '/v1/embeddings', postJson({ model: 'local', input }));
        const body = await res.text();
        expect(res.status, body).toBe(400);
        expect(JSON.parse(body).error.param).toBe(param);
      }
    }
  });

  it('POST /admin/index/versions: the embedding model name', async () => {
    for (const text of unsafe) {
      const problem = await expectProblem(
        await t.as('hyg-admin', '/admin/index/versions', {
          ...postJson({ embedding_model: text }),
          role: 'admin',
        }),
        400,
      );
      expect(problem.errors?.[0]?.pointer).toBe('/body/embedding_model');
    }
  });

  it('well-formed text outside the BMP (a surrogate pair) is still accepted', async () => {
    const res = await t.as('hyg-emoji', '/search', postJson({ query: 'slot 🐘' }));
    expect(res.status).toBe(200);
  });
});
