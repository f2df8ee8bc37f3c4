import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getHealthRoute, getReadinessRoute } from '../../../src/system/system.routes.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { createTestApp, useTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('readiness failures on %s', (kind) => {
  // Each case breaks its database, so each has one of its own.
  describe('with the latest migration missing', () => {
    const t = useTestApp(kind);

    it('is 503 naming the migrations check when the latest migration is missing', async () => {
      await t.database.db.execute(
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
      );
      const body = await readBody(await t.request('/ready'), getReadinessRoute, 503);
      expect(body.status).toBe('not_ready');
      expect(body.checks.database.status).toBe('ok');
      expect(body.checks.migrations).toMatchObject({ status: 'fail' });
      expect(body.checks.migrations.detail).toMatch(/expected/);
    });
  });

  describe('with the database gone', () => {
    it('is 503 with a database failure when the database is gone, while /health stays 200', async () => {
      // Closing the database is the failure under test, so this test owns its lifecycle.
      const database = await openTestDatabase(kind);
      const t = createTestApp(database);
      await database.close();
      const body = await readBody(await t.request('/ready'), getReadinessRoute, 503);
      expect(body.checks.database.status).toBe('fail');
      expect(body.checks.migrations.status).toBe('fail');
      expect(await readBody(await t.request('/health'), getHealthRoute, 200)).toEqual({ status: 'ok' });
    });
  });
});
