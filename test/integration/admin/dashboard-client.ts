import { expect } from 'vitest';
import type { TestApp } from '../../helpers/test-app.ts';

const FORM = 'application/x-www-form-urlencoded';
const ORIGIN = 'http://localhost';

/** The value a Set-Cookie header of `response` gives `name`, or undefined. */
export function cookieSet(response: Response, name: string): string | undefined {
  const line = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(';')[0];
}

/** The whole Set-Cookie line for `name`, attributes included. */
export const setCookieLine = (response: Response, name: string) =>
  response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));

/** A hidden field's value in a page. */
function hiddenField(page: string, name: string): string {
  const value = new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1];
  if (value === undefined) throw new Error(`no ${name} field in the page`);
  return value;
}

/** A browser-like GET: asks for HTML, sends the cookie. */
export const getPage = (t: TestApp, path: string, cookie?: string) =>
  t.request(path, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, redirect: 'manual' });

/** A browser-like form POST from this site. */
export const postForm = (
  t: TestApp,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; origin?: string | null } = {},
) =>
  t.request(path, {
    method: 'POST',
    headers: {
      accept: 'text/html',
      'content-type': FORM,
      ...(options.origin === null ? {} : { origin: options.origin ?? ORIGIN }),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });

/** Opens the sign-in page and returns the login nonce (cookie and hidden field). */
export async function loginNonce(t: TestApp): Promise<string> {
  const page = await getPage(t, '/admin/login');
  expect(page.status).toBe(200);
  const nonce = cookieSet(page, 'cairn_admin_login');
  expect(hiddenField(await page.text(), 'nonce')).toBe(nonce);
  return nonce!;
}

/** Signs in with `token` and returns the session cookie header and the session's CSRF token. */
export async function signIn(t: TestApp, token: string): Promise<{ cookie: string; csrf: string }> {
  const nonce = await loginNonce(t);
  const res = await postForm(t, '/admin/login', { token, nonce }, { cookie: `cairn_admin_login=${nonce}` });
  expect(res.status).toBe(303);
  const session = cookieSet(res, 'cairn_admin_session');
  expect(session).toBeTruthy();
  const cookie = `cairn_admin_session=${session}`;
  const page = await getPage(t, '/admin/dashboard', cookie);
  expect(page.status).toBe(200);
  return { cookie, csrf: hiddenField(await page.text(), 'csrf') };
}
