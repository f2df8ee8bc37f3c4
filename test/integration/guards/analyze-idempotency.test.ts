import { describe, expect, it } from 'vitest';
import { analyzeTextRoute } from '../../../src/gateway/analyze/analyze.routes.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { countModelCalls } from '../../helpers/guard-probe.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';
import { storedUsage } from '../../helpers/usage-rows.ts';

const backends = ['memory', 'postgres'] as const;

describe.each(databaseKinds)('POST /analyze with an Idempotency-Key on %s', (kind) => {
  describe.each(backends)('and %s guards', (backend) => {
    // The local provider, counted; the app wraps it in the accounting client as usual.
    const counter = countModelCalls(createLocalClient({ embeddingDimensions: 384 }));
    const t = useTestApp(kind, {
      env: { IDEMPOTENCY_BACKEND: backend, RATE_LIMIT_BACKEND: backend },
      llm: counter.llm,
    });

    it('calls the model once for N concurrent identical requests', async () => {
      const user = `analyst-${backend}`;
      const send = () =>
        t.as(
          user,
          '/analyze',
          postJson(
            { text: 'The release fixed every crash I reported. Great work!' },
            { 'Idempotency-Key': `analyze-${backend}` },
          ),
        );

      const responses = await Promise.all(Array.from({ length: 8 }, send));
      expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const original = responses.find((r) => r.status === 200 && !r.headers.has('Idempotent-Replayed'))!;
      const body = await readBody(original, analyzeTextRoute, 200);
      expect(counter.calls()).toBe(body.attempts);

      const replay = await send();
      expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
      expect(await readBody(replay, analyzeTextRoute, 200)).toEqual(body);
      expect(counter.calls()).toBe(body.attempts);

      const events = (await storedUsage(t)).filter((e) => e.userId === user);
      expect(events).toHaveLength(body.attempts);
    });
  });
});
