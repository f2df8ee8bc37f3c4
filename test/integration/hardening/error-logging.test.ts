import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/databases.ts';
import { expectResponsive } from '../../helpers/responsiveness.ts';
import { expectProblem, useTestApp } from '../../helpers/test-app.ts';

// A failed query whose parameters are huge: before, drizzle's error (message "Failed query: ...
// params: <every parameter>") was logged with its message and again in its stack, and the driver's
// own error, the cause, was dropped. 4.8 MB in, 9.6 MB of log out.
describe.each(databaseKinds)('a failed query is logged without its parameters on %s', (kind) => {
  const t = useTestApp(kind, { testOnlyRoutes: ['/test-only/'] });

  it('logs the driver error (code, message) and a bounded line, never the parameters', async () => {
    const huge = `${'p'.repeat(4_800_000)}\u0000`;
    t.app.get('/test-only/failing-query', async (c) => {
      await c.get('deps').db.execute(sql`select ${huge}::text as echoed`);
      return c.text('unreachable');
    });
    const before = t.logs.length;
    // Logging it must not stall the server either (it serialised 9.6 MB before).
    await expectResponsive(
      () => t.request('/health'),
      async () => expectProblem(await t.request('/test-only/failing-query'), 500),
    );
    const lines = t.logs.slice(before);
    const text = JSON.stringify(lines);
    expect(text.length).toBeLessThan(20_000);
    expect(text).not.toContain('pppppppppp');
    const logged = lines.find((l) => l.msg === 'unhandled error')?.err as Record<string, unknown>;
    expect(logged.message).toMatch(/^Failed query: select \$1::text as echoed/);
    const cause = logged.cause as Record<string, unknown>;
    // invalid_byte_sequence / character_not_in_repertoire: the driver's SQLSTATE survives.
    expect(cause.code).toMatch(/^22/);
    expect(String(cause.message)).toMatch(/0x00|byte sequence|null character|\\u0000/i);
    expect(Array.isArray(logged.stack)).toBe(true);
  });
});
