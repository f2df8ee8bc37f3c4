import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/rows.ts';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { countModelCalls } from '../../helpers/guard-probe.ts';
import { createTestApp } from '../../helpers/test-app.ts';

const backends = ['memory', 'postgres'] as const;

describe.each(databaseKinds)('POST /analyze with an Idempotency-Key on %s', (kind) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database.close());

  it.each(backends)(
    'calls the model once for N concurrent identical requests (%s guards)',
    async (backend) => {
      const env = { IDEMPOTENCY_BACKEND: backend, RATE_LIMIT_BACKEND: backend };
      // The real accounted model client, counted: the app under test uses it and its usage sink.
      const accounted = createTestApp(database, { env });
      const counter = countModelCalls(accounted.deps.llm);
      const app = createTestApp(database, {
        env,
        override: { llm: counter.llm, usage: accounted.deps.usage },
      });
      const user = `analyst-${backend}`;
      const send = () =>
        app.as(user, '/analyze', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `analyze-${backend}` },
          body: JSON.stringify({ text: 'The release fixed every crash I reported. Great work!' }),
        });

      const responses = await Promise.all(Array.from({ length: 8 }, send));
      const done = responses.filter((r) => r.status === 200);
      expect(responses.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const original = done.find((r) => !r.headers.has('Idempotent-Replayed'))!;
      const body = (await original.json()) as { attempts: number };
      expect(counter.calls()).toBe(body.attempts);

      const replay = await send();
      expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
      expect(await replay.json()).toEqual(body);
      expect(counter.calls()).toBe(body.attempts);

      await accounted.deps.usage.flush();
      const [events] = rowsOf<{ n: number }>(
        await database.db.execute(sql`select count(*)::int as n from usage_events where user_id = ${user}`),
      );
      expect(events!.n).toBe(body.attempts);
    },
  );
});
