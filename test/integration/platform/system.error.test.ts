import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../../src/node/open-database.ts';
import { getReadinessRoute } from '../../../src/system/system.routes.ts';
import { databaseKinds, openTestDatabase } from '../../helpers/databases.ts';
import { readBody } from '../../helpers/json-request.ts';
import { createTestApp } from '../../helpers/test-app.ts';

describe.each(databaseKinds)('readiness failures on %s', (kind) => {
  let database: DatabaseHandle | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('is 503 naming the migrations check when the latest migration is missing', async () => {
    database = await openTestDatabase(kind);
    await database.db.execute(
      sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
    );
    const res = await createTestApp(database).request('/ready');
    const body = await readBody(res, getReadinessRoute, 503);
    expect(body.status).toBe('not_ready');
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.migrations).toMatchObject({ status: 'fail' });
    expect(body.checks.migrations.detail).toMatch(/expected/);
  });

  it('is 503 with a database failure when the database is gone, while /health stays 200', async () => {
    database = await openTestDatabase(kind);
    const t = createTestApp(database);
    await database.close();
    const close = database.close;
    database = undefined;
    const body = await readBody(await t.request('/ready'), getReadinessRoute, 503);
    expect(body.checks.database.status).toBe('fail');
    expect(body.checks.migrations.status).toBe('fail');
    expect((await t.request('/health')).status).toBe(200);
    await close().catch(() => {});
  });
});
