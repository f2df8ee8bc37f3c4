import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerClientErrors } from '../../../src/http/client-error.ts';
import { problemSchema } from '../../../src/http/problem.ts';
import { useTestApp } from '../../helpers/test-app.ts';

// Node's parser refuses headers over 16 KB before the app sees the request; with the Node entry's
// answerClientErrors(server) the client gets a problem+json 431 instead of a bare status line.
describe('requests Node refuses before the app are answered as problems', () => {
  const t = useTestApp('pglite');
  let server: ReturnType<typeof serve>;
  let url: string;

  beforeAll(async () => {
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    answerClientErrors(server);
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('headers over 16 KB: 431 problem+json', async () => {
    const res = await fetch(`${url}/health`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = problemSchema.parse(await res.json());
    expect(body).toMatchObject({ status: 431, type: 'urn:cairn:problem:header-fields-too-large' });
    expect(res.headers.get('x-request-id')).toBe(body.request_id);
  });

  it('under /v1, OpenAI error JSON instead: its clients read no other shape', async () => {
    for (const path of ['/v1/embeddings?x=1', '/v1']) {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-padding': 'p'.repeat(20_000) },
        body: '{"model":"m","input":"x"}',
      });
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({
        error: {
          message: expect.stringContaining('headers are larger'),
          type: 'invalid_request_error',
          param: null,
          code: 'header_fields_too_large',
        },
      });
    }
    // Only the path decides: /v1beta is not the OpenAI surface.
    const other = await fetch(`${url}/v1beta`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
    expect(other.headers.get('content-type')).toBe('application/problem+json');
  });

  it('the server keeps answering afterwards', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
