import { describe, expect, it } from 'vitest';
import { postJson } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { INJECTED, injectionLogs, injectionMetric } from './injection-report.ts';

const ROUTE = '/v1/chat/completions';

const completion = (messages: { role: string; content: string }[], stream = false) =>
  postJson({ model: 'local', messages, ...(stream ? { stream: true } : {}) });

describe('POST /v1/chat/completions: the caller owns its prompts; user messages are screened', () => {
  const metric = injectionMetric();
  const t = useTestApp('pglite', { meter: metric.meter });

  it('flag mode: an injected user message still completes, and is logged and counted', async () => {
    const res = await t.as('inj-v1-a', ROUTE, completion([{ role: 'user', content: INJECTED }]));
    expect(res.status).toBe(200);
    expect(await metric.count('input', ROUTE, 'flagged')).toBe(1);
    expect(injectionLogs(t, ROUTE)).toEqual([
      expect.objectContaining({ ref: 'messages/0', action: 'flagged' }),
    ]);
  });

  it('system and assistant messages are the caller’s own and are not screened', async () => {
    const res = await t.as(
      'inj-v1-b',
      ROUTE,
      completion([
        { role: 'system', content: INJECTED },
        { role: 'assistant', content: INJECTED },
        { role: 'user', content: 'What is a partial index?' },
      ]),
    );
    expect(res.status).toBe(200);
    expect(injectionLogs(t, ROUTE)).toHaveLength(1);
  });
});

describe('POST /v1/chat/completions with INJECTION_DETECTION=block', () => {
  const metric = injectionMetric();
  const t = useTestApp('pglite', { meter: metric.meter, env: { INJECTION_DETECTION: 'block' } });

  for (const stream of [false, true]) {
    it(`refuses a flagged user message in OpenAI's error shape${stream ? ', streamed too' : ''}`, async () => {
      const res = await t.as(
        `inj-v1-block-${stream}`,
        ROUTE,
        completion(
          [
            { role: 'user', content: 'Hello.' },
            { role: 'assistant', content: 'Hi!' },
            { role: 'user', content: INJECTED },
          ],
          stream,
        ),
      );
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({
        code: 'prompt_injection',
        type: 'invalid_request_error',
        param: 'messages[2].content',
      });
    });
  }

  it('a benign conversation completes', async () => {
    const res = await t.as('inj-v1-block-ok', ROUTE, completion([{ role: 'user', content: 'Say hello.' }]));
    expect(res.status).toBe(200);
    expect(await metric.count('input', ROUTE, 'blocked')).toBe(2);
  });
});
