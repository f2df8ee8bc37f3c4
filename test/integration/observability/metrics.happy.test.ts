import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../helpers/test-app.ts';
import { METRICS_TOKEN, withPrometheusMetrics } from './metrics-app.ts';

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('GET /metrics with METRICS_TOKEN', () => {
  const t = useTestApp('pglite', withPrometheusMetrics({ METRICS_TOKEN }));

  it('serves the Prometheus text format to the metrics token', async () => {
    t.deps.telemetry.instruments.modelTokens.add(42, {
      'gen_ai.request.model': 'local',
      'gen_ai.token.type': 'input',
    });
    const res = await t.request('/metrics', bearer(METRICS_TOKEN));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();
    expect(text).toContain('# TYPE cairn_model_tokens_total counter');
    expect(text).toMatch(
      /^cairn_model_tokens_total\{gen_ai_request_model="local",gen_ai_token_type="input"[^}]*\} 42$/m,
    );
    expect(text).toContain('service_name="cairn"');
  });

  it('serves an admin JWT as well', async () => {
    const res = await t.as('metrics-happy-admin', '/metrics', { role: 'admin' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE target_info gauge');
  });

  it('counts what the app records between two scrapes', async () => {
    const count = async () => {
      const text = await (await t.request('/metrics', bearer(METRICS_TOKEN))).text();
      const match = /^cairn_agent_runs_total\{cairn_stop_reason="completed"[^}]*\} (\d+)$/m.exec(text);
      return Number(match?.[1] ?? 0);
    };
    const before = await count();
    t.deps.telemetry.instruments.agentRuns.add(1, { 'cairn.stop_reason': 'completed' });
    t.deps.telemetry.instruments.agentRuns.add(1, { 'cairn.stop_reason': 'completed' });
    expect(await count()).toBe(before + 2);
  });
});

describe('GET /metrics without METRICS_TOKEN', () => {
  const t = useTestApp('pglite', withPrometheusMetrics());

  it('serves an admin JWT', async () => {
    const res = await t.as('metrics-happy-admin-only', '/metrics', { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
