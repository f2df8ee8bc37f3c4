import { describe, expect, it } from 'vitest';
import { sealSession, sessionKey } from '../../../src/admin/dashboard/session.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { createTestApp, TEST_JWT_SECRET, useTestDatabase } from '../../helpers/test-app.ts';
import { getPage, signIn } from './dashboard-client.ts';

const SESSION_SECRET = 's'.repeat(40);

describe.each(databaseKinds)('admin dashboard session secrets on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('signs sessions with ADMIN_SESSION_SECRET when set, refusing cookies signed with the JWT-derived key', async () => {
    const t = createTestApp(database, { env: { ADMIN_SESSION_SECRET: SESSION_SECRET } });
    const { cookie } = await signIn(t, await t.token('dash-cfg-admin', 'admin'));
    expect((await getPage(t, '/admin/dashboard', cookie)).status).toBe(200);
    const derived = await sessionKey({ JWT_SECRET: TEST_JWT_SECRET, ADMIN_SESSION_SECRET: undefined })!;
    const other = await sealSession(derived, {
      sub: 'dash-cfg-admin',
      keyId: null,
      csrf: 'c'.repeat(43),
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    expect((await getPage(t, '/admin/dashboard', `cairn_admin_session=${other}`)).status).toBe(303);
  });

  it('answers 503 at sign-in when neither secret is set (JWKS-only)', async () => {
    const t = createTestApp(database, {
      env: { JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' },
    });
    const res = await getPage(t, '/admin/login');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('ADMIN_SESSION_SECRET');
  });
});
