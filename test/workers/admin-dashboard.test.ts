import { describe, expect, it } from 'vitest';
import { call } from './worker-client.ts';
import { workerToken } from './worker-token.ts';

const FORM = 'application/x-www-form-urlencoded';
const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1)
    .split(';')[0];

/** Signs in through the login form as a browser would; returns the session cookie header. */
async function signIn(token: string) {
  const login = await call('/admin/login', { headers: { accept: 'text/html' } });
  expect(login.status).toBe(200);
  const nonce = cookieOf(login, 'cairn_admin_login')!;
  return call('/admin/login', {
    method: 'POST',
    headers: {
      accept: 'text/html',
      'content-type': FORM,
      origin: 'http://cairn.test',
      cookie: `cairn_admin_login=${nonce}`,
    },
    body: new URLSearchParams({ token, nonce }),
    redirect: 'manual',
  });
}

describe('admin dashboard inside workerd', () => {
  it('signs an admin in with Web Crypto sessions and serves the overview page', async () => {
    const res = await signIn(await workerToken('wd-dash-admin', 'admin'));
    expect(res.status).toBe(303);
    const session = cookieOf(res, 'cairn_admin_session');
    expect(session).toBeTruthy();
    const page = await call('/admin/dashboard', {
      headers: { accept: 'text/html', cookie: `cairn_admin_session=${session}` },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<h1>Overview');
    expect(html.match(/<svg /g)).toHaveLength(4);
  });

  it('refuses a non-admin with 403 and no session', async () => {
    const res = await signIn(await workerToken('wd-dash-user'));
    expect(res.status).toBe(403);
    expect(cookieOf(res, 'cairn_admin_session')).toBeUndefined();
  });
});
