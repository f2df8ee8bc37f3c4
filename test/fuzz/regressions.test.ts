import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemSchema } from '../../src/http/problem.ts';
import { serveApp } from '../helpers/serve-app.ts';
import { useTestApp } from '../helpers/test-app.ts';
import { closeConnections, sendRequest } from './send-request.ts';

// Inputs the route fuzzer (routes.fuzz.test.ts) found failing, replayed as they were sent.
describe('requests the fuzzer found failing', () => {
  const t = useTestApp('pglite');
  let served: Awaited<ReturnType<typeof serveApp>>;
  beforeAll(async () => {
    served = await serveApp(t);
  });
  afterAll(async () => {
    closeConnections();
    await served.close();
  });

  // Caught (FUZZ_SEED=2, GET /admin/usage): a HEAD request whose query string pushed its headers
  // past Node's 16 KB got the parser's 431 with a problem+json body after the headers, which a
  // client reads as garbage ("Parse Error: Data after `Connection: close`").
  it('a HEAD request with headers over 16 KB gets a bodiless 431', async () => {
    const target = `/admin/usage?route=${'%C3%A9'.repeat(3_000)}`;
    const head = await sendRequest(served.origin, { method: 'HEAD', target, headers: {} }, 15_000);
    expect(head.status).toBe(431);
    expect(head.headers['content-type']).toBe('application/problem+json');
    expect(head.body).toBe('');

    const get = await sendRequest(served.origin, { method: 'GET', target, headers: {} }, 15_000);
    expect(get.status).toBe(431);
    expect(problemSchema.parse(JSON.parse(get.body))).toMatchObject({ status: 431 });
  });

  // Caught (FUZZ_SEED=825419872, POST /v1/embeddings): a 9 KB bearer token and an 8 KB
  // Idempotency-Key passed Node's 16 KB of headers, and the 431 came back as problem+json, which
  // OpenAI's clients cannot read.
  it('a /v1 request with headers over 16 KB gets a 431 in OpenAI error JSON', async () => {
    const answer = await sendRequest(
      served.origin,
      {
        method: 'POST',
        target: '/v1/embeddings',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${'x'.repeat(9_000)}`,
          'idempotency-key': 'a'.repeat(8_000),
        },
        body: Buffer.from('{"model":" ","input":" "}'),
      },
      15_000,
    );
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'header_fields_too_large' } });
  });
});
