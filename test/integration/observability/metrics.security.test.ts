import { describe, expect, it } from 'vitest';
import { tokensMatch } from '../../../src/observability/metrics-export/metrics-token.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';
import { METRICS_TOKEN, withPrometheusMetrics } from './metrics-app.ts';

describe('GET /metrics authentication', () => {
  const t = useTestApp('pglite', withPrometheusMetrics({ METRICS_TOKEN }));
  const metrics = (authorization?: string) =>
    t.request('/metrics', authorization ? { headers: { Authorization: authorization } } : undefined);

  it('401 without credentials, with WWW-Authenticate', async () => {
    const res = await metrics();
    await expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('401 for a wrong token, one cut short or extended, and another scheme', async () => {
    await expectProblem(await metrics('Bearer metrics-token-0123456789abcdeX'), 401);
    await expectProblem(await metrics(`Bearer ${METRICS_TOKEN.slice(0, -1)}`), 401);
    await expectProblem(await metrics(`Bearer ${METRICS_TOKEN}0`), 401);
    await expectProblem(await metrics(`Basic ${METRICS_TOKEN}`), 401);
    await expectProblem(await metrics(METRICS_TOKEN), 401);
  });

  it('403 for a user JWT', async () => {
    const body = await expectProblem(await t.as('metrics-security-user', '/metrics'), 403);
    expect(body.detail).toMatch(/admin/);
  });

  it('never echoes the presented token', async () => {
    const wrong = 'wrong-metrics-token-fedcba9876543210';
    const text = await (await metrics(`Bearer ${wrong}`)).text();
    expect(text).not.toContain(wrong);
  });
});

describe('metrics token comparison', () => {
  it('matches only the same token, whatever the lengths', async () => {
    expect(await tokensMatch(METRICS_TOKEN, METRICS_TOKEN)).toBe(true);
    expect(await tokensMatch(`${METRICS_TOKEN}x`, METRICS_TOKEN)).toBe(false);
    expect(await tokensMatch('', METRICS_TOKEN)).toBe(false);
    expect(await tokensMatch(METRICS_TOKEN.toUpperCase(), METRICS_TOKEN)).toBe(false);
  });
});
