import { describe, expect, it } from 'vitest';
import { as, call } from './worker-client.ts';
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
    expect(html.match(/<svg /g)).toHaveLength(6);
  });

  it('counts requests on Workers too: one upsert per request, after the response', async () => {
    const requests = async () => {
      const res = await as('wd-dash-counter', '/admin/overview?days=1', { role: 'admin' });
      expect(res.status).toBe(200);
      return ((await res.json()) as { http: { totals: { requests: number } } }).http.totals.requests;
    };
    const first = await requests();
    // The first overview request is stored once its waitUntil ends, so a later one sees it.
    await expect.poll(requests).toBeGreaterThan(first);
  });

  it('refuses a non-admin with 403 and no session', async () => {
    const res = await signIn(await workerToken('wd-dash-user'));
    expect(res.status).toBe(403);
    expect(cookieOf(res, 'cairn_admin_session')).toBeUndefined();
  });
});
