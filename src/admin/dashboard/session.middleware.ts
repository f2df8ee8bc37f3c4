import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { z } from 'zod';
import { AppError, forbidden, serviceUnavailable, unauthorized, validationFailed } from '../../errors.ts';
import type { AuthedEnv } from '../../http/app-env.ts';
import { sessionAdmin } from './admin-sign-in.ts';
import type { layout } from './pages.handlers.ts';
import { type AdminSession, openSession, type SessionKey, sameToken, sessionKey } from './session.ts';

export type DashboardEnv = { Variables: AuthedEnv['Variables'] & { session: AdminSession } };
export type DashboardContext = Context<DashboardEnv>;

export const SESSION_COOKIE = 'cairn_admin_session';
export const LOGIN_COOKIE = 'cairn_admin_login';
export const COOKIE_PATH = '/admin';
export const LOGIN_NONCE_TTL_S = 600;

/** Browsers navigating and submitting forms ask for HTML; everyone else gets problem+json. */
export const wantsHtml = (c: Context) => (c.req.header('Accept') ?? '').includes('text/html');

// Behind a TLS-terminating proxy (TRUST_PROXY set) the scheme and host are the forwarded ones.
function forwarded(c: DashboardContext, header: string): string | undefined {
  if (c.get('deps').config.TRUST_PROXY === 0) return undefined;
  return c.req.header(header)?.split(',')[0]?.trim() || undefined;
}
export const isHttps = (c: DashboardContext) =>
  new URL(c.req.url).protocol === 'https:' || forwarded(c, 'X-Forwarded-Proto') === 'https';

/**
 * A state-changing form must come from this site: its Origin (or, without one, Sec-Fetch-Site)
 * must say so. Clients sending neither still need the CSRF token.
 */
export function fromThisSite(c: DashboardContext): boolean {
  const origin = c.req.header('Origin');
  if (origin !== undefined) {
    const host = forwarded(c, 'X-Forwarded-Host') ?? new URL(c.req.url).host;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  const site = c.req.header('Sec-Fetch-Site');
  return site === undefined || site === 'same-origin';
}

export const csrfRefused = () =>
  forbidden('The form is stale or did not come from this dashboard; reload the page and try again.');

// No scripts anywhere; styles inline; nothing framed or sent elsewhere.
export function secureHeaders(c: Context) {
  c.header(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header('X-Frame-Options', 'DENY');
  c.header('Referrer-Policy', 'same-origin');
  c.header('Cache-Control', 'no-store');
}

export function render(
  c: Context,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 422 | 503,
  page: ReturnType<typeof layout>,
) {
  secureHeaders(c);
  return c.html(page, status);
}

// A redirect target after sign-in: a dashboard page of this site, never another host.
export const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/admin\/dashboard(?:[/?][\x21-\x7e]*)?$/.test(next) && !next.includes('//')
    ? next
    : '/admin/dashboard';

/** The fields of a form post (the last value of a repeated one); any other body has none. */
export async function formFields(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return {};
  return c.req.parseBody();
}

/** The query without empty fields (an untouched filter input sends `name=`), parsed by `schema`. */
export function pageQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const entries = Object.entries(c.req.query()).filter(([, v]) => v !== '');
  const parsed = schema.safeParse(Object.fromEntries(entries));
  if (!parsed.success)
    throw validationFailed(
      'The page was asked for with invalid filters.',
      parsed.error.issues.map((issue) => ({
        pointer: `/query/${issue.path.join('/')}`,
        detail: issue.message,
      })),
    );
  return parsed.data;
}

export async function requireSessionKey(c: DashboardContext): Promise<SessionKey> {
  const key = sessionKey(c.get('deps').config);
  if (!key)
    throw serviceUnavailable('Dashboard sign-in needs ADMIN_SESSION_SECRET (or JWT_SECRET) to be set.');
  return key;
}

/**
 * Every dashboard page: a valid session cookie whose admin is still an active admin (else the
 * sign-in page, or 401/403 problem+json for non-browsers) and a CSRF check on every POST.
 */
export const requireSession: MiddlewareHandler<DashboardEnv> = async (c, next) => {
  const deps = c.get('deps');
  const key = await requireSessionKey(c);
  const session = await openSession(key, getCookie(c, SESSION_COOKIE) ?? '', deps.now().getTime());
  if (!session) {
    if (c.req.method === 'GET' && wantsHtml(c)) {
      secureHeaders(c);
      return c.redirect(
        `/admin/login?${new URLSearchParams({ next: safeNext(c.req.path + (new URL(c.req.url).search || '')) })}`,
        303,
      );
    }
    throw unauthorized('Sign in at /admin/login first; the session is missing or has expired.');
  }
  let principal: Awaited<ReturnType<typeof sessionAdmin>>;
  try {
    principal = await sessionAdmin(deps, session);
  } catch (error) {
    // The account lost its role, was disabled, or its key was revoked: the session ends here.
    if (error instanceof AppError && (error.status === 401 || error.status === 403))
      deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH });
    throw error;
  }
  c.set('principal', principal);
  c.set('session', session);
  if (c.req.method === 'POST') {
    const fields = await formFields(c);
    if (!fromThisSite(c) || typeof fields.csrf !== 'string' || !sameToken(fields.csrf, session.csrf))
      throw csrfRefused();
  }
  await next();
};
