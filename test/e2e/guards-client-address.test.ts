import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer } from './server-process.ts';

describe('the pre-auth limiter in a real server process', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ RATE_LIMIT_POLICIES: 'anonymous:3/1d' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('limits by the socket peer address', async () => {
    for (let i = 0; i < 3; i++) expect((await server.request('/openapi.json')).status).toBe(200);
    const limited = await server.request('/openapi.json', { headers: { 'X-Forwarded-For': '203.0.113.5' } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('RateLimit-Policy')).toBe('"anonymous-1d";q=3;w=86400');
    await expect
      .poll(() => server.stdout.map((line) => JSON.parse(line)).find((l) => l.msg === 'request rejected'))
      .toMatchObject({ guard: 'anonymous-rate-limit', subject: 'anonymous:ip:127.0.0.1' });
  });
});
