import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load-config.ts';
import { expectProblem, TEST_JWT_SECRET, useTestApp } from '../../helpers/test-app.ts';
import { METRICS_TOKEN } from './metrics-app.ts';

describe('GET /metrics where the runtime has no scrape (as on Workers)', () => {
  const t = useTestApp('pglite', { env: { METRICS_TOKEN } });

  it('is 404 problem+json, whatever the credentials', async () => {
    const withToken = await t.request('/metrics', { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect((await expectProblem(withToken, 404)).detail).toMatch(/OTLP/);
    await expectProblem(await t.as('metrics-error-admin', '/metrics', { role: 'admin' }), 404);
    await expectProblem(await t.request('/metrics'), 404);
  });
});

describe('METRICS_TOKEN setting', () => {
  const load = (token: string) => () => loadConfig({ JWT_SECRET: TEST_JWT_SECRET, METRICS_TOKEN: token });

  it('refuses a short token or one with spaces, naming the setting', () => {
    expect(load('short')).toThrow(ConfigError);
    expect(load('short')).toThrow(/METRICS_TOKEN/);
    expect(load('sixteen chars with spaces')).toThrow(/METRICS_TOKEN/);
  });

  it('treats an empty value as unset', () => {
    expect(load('')().METRICS_TOKEN).toBeUndefined();
  });
});
