import { describe, expect, it } from 'vitest';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { countModelCalls } from '../../helpers/guard-probe.ts';
import { postJson } from '../../helpers/json-request.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

const multipart = (boundary: string, content: string, key: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'Idempotency-Key': key },
  body: [
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="notes.md"',
    'Content-Type: text/markdown',
    '',
    content,
    `--${boundary}--`,
    '',
  ].join('\r\n'),
});

describe.each(databaseKinds)('Idempotency-Key scope and fingerprint on %s', (kind) => {
  const counter = countModelCalls(createLocalClient({ embeddingDimensions: 384 }));
  const t = useTestApp(kind, { llm: counter.llm });

  it('a key used on /analyze replays on /analyze/ (the same route) instead of running again', async () => {
    const user = 'idem-route-alice';
    const body = { text: 'The release fixed every crash I reported.' };
    const first = await t.as(user, '/analyze', postJson(body, { 'Idempotency-Key': 'route-1' }));
    expect(first.status).toBe(200);
    const calls = counter.calls();
    const again = await t.as(user, '/analyze/', postJson(body, { 'Idempotency-Key': 'route-1' }));
    expect(again.status).toBe(200);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(counter.calls()).toBe(calls);
    await expectProblem(
      await t.as(user, '/analyze/', postJson({ text: 'Something else.' }, { 'Idempotency-Key': 'route-1' })),
      422,
    );
  });

  it('a second upload whose content differs only by the boundary string is refused, not replayed', async () => {
    const user = 'idem-multipart-alice';
    const boundary = 'cairnBoundary42';
    const first = await t.as(user, '/documents', multipart(boundary, '# Notes\n\nhello world', 'upload-1'));
    expect(first.status).toBeLessThan(300);
    const resent = await t.as(
      user,
      '/documents',
      multipart('otherBoundary7', '# Notes\n\nhello world', 'upload-1'),
    );
    expect(resent.headers.get('Idempotent-Replayed')).toBe('true');
    const different = await t.as(
      user,
      '/documents',
      multipart(boundary, `# Notes\n\nhello ${boundary}world`, 'upload-1'),
    );
    await expectProblem(different, 422);
  });
});
