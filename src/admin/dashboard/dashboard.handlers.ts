import type { Context, ErrorHandler, Handler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { listAudit } from '../../agents/audit/audit-log.ts';
import { listRuns } from '../../agents/runs/run-store.ts';
import { roles } from '../../auth/principal.ts';
import { toolCallStatuses } from '../../db/tables/agents.ts';
import { userStatuses } from '../../db/tables/users.ts';
import { AppError, validationFailed } from '../../errors.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { errorHandler } from '../../http/error-handler.ts';
import { pageQuerySchema } from '../../http/pagination.ts';
import { problemSchema } from '../../http/problem.ts';
import { safeString } from '../../http/text-safety.ts';
import { jobHandlers } from '../../job-handlers.ts';
import { listDeadJobs, retryDeadJob } from '../../queue/admin/dead-jobs.ts';
import { actionsQuerySchema } from '../actions/actions.routes.ts';
import { listAdminAudit } from '../admin-audit.ts';
import { overviewQuerySchema } from '../overview/overview.routes.ts';
import { getOverview, queueCounts } from '../overview/overview.ts';
import { toUsageBreakdownInput } from '../usage/usage.handlers.ts';
import { usageQuerySchema } from '../usage/usage.routes.ts';
import { usageBreakdown } from '../usage/usage-breakdown.ts';
import { changeUserSubscription, listUsers, setUserStatus } from '../users/user-admin.ts';
import { signInAdmin } from './admin-sign-in.ts';
import {
  agentsPage,
  auditPage,
  type DashboardPageId,
  errorPage,
  jobsPage,
  layout,
  loginPage,
  overviewPage,
  usagePage,
  usersPage,
} from './pages.handlers.ts';
import { listPlanNames } from './plan-names.ts';
import {
  COOKIE_PATH,
  csrfRefused,
  type DashboardContext,
  type DashboardEnv,
  formFields,
  fromThisSite,
  isHttps,
  LOGIN_COOKIE,
  LOGIN_NONCE_TTL_S,
  pageQuery,
  render,
  requireSessionKey,
  SESSION_COOKIE,
  safeNext,
  secureHeaders,
  wantsHtml,
} from './session.middleware.ts';
import { type AdminSession, randomToken, sameToken, sealSession } from './session.ts';

const DAY_MS = 86_400_000;

/** Renders errors as a page for browsers, as problem+json (the app's error handler) for the rest. */
export const dashboardErrorHandler: ErrorHandler<DashboardEnv> = async (error, c) => {
  const problem = await errorHandler(error, c as unknown as Context<AppEnv>);
  if (!wantsHtml(c)) return problem;
  const body = problemSchema.safeParse(await problem.clone().json());
  const status = problem.status as Parameters<typeof render>[1];
  const page = errorPage({
    status,
    title: body.success ? body.data.title : 'Error',
    detail: body.success ? (body.data.detail ?? '') : '',
    signedIn: c.get('session') !== undefined,
  });
  const response = render(c, status, page);
  const retryAfter = problem.headers.get('Retry-After');
  if (retryAfter) c.header('Retry-After', retryAfter);
  return response;
};

// A page of the signed-in dashboard, under `status` (a failed form shows its page again with the reason).
const signedIn = (
  c: DashboardContext,
  current: DashboardPageId,
  title: string,
  body: Parameters<typeof layout>[0]['body'],
  status: 200 | 404 | 409 | 422 = 200,
) =>
  render(
    c,
    status,
    layout({
      title,
      current,
      admin: { userId: c.get('principal').userId, csrf: c.get('session').csrf },
      body,
    }),
  );

/** A fresh sign-in nonce, in a short-lived cookie and returned for the form's hidden field. */
function issueLoginNonce(c: DashboardContext): string {
  const nonce = randomToken();
  setCookie(c, LOGIN_COOKIE, nonce, {
    path: COOKIE_PATH,
    httpOnly: true,
    secure: isHttps(c),
    sameSite: 'Strict',
    maxAge: LOGIN_NONCE_TTL_S,
  });
  return nonce;
}

export const dashboardRootHandler: Handler<DashboardEnv> = (c) => c.redirect('/admin/dashboard', 303);

export const loginPageHandler: Handler<DashboardEnv> = async (c) => {
  await requireSessionKey(c);
  return render(c, 200, loginPage({ nonce: issueLoginNonce(c), next: safeNext(c.req.query('next')) }));
};

const loginFormSchema = z.object({
  token: z.string().trim().min(1).max(8192),
  nonce: z.string().min(1).max(128),
  next: z.string().max(2048).optional(),
});

export const signInHandler: Handler<DashboardEnv> = async (c) => {
  const deps = c.get('deps');
  const key = await requireSessionKey(c);
  const form = loginFormSchema.safeParse(await formFields(c));
  const nonce = getCookie(c, LOGIN_COOKIE);
  // Login CSRF: the form must carry the nonce this browser was given with the sign-in page.
  if (!form.success || !nonce || !sameToken(form.data.nonce, nonce) || !fromThisSite(c)) throw csrfRefused();
  let admin: Awaited<ReturnType<typeof signInAdmin>>;
  try {
    admin = await signInAdmin(deps, form.data.token);
  } catch (error) {
    if (error instanceof AppError && (error.status === 401 || error.status === 403) && wantsHtml(c))
      return render(
        c,
        error.status,
        loginPage({ nonce: issueLoginNonce(c), next: safeNext(form.data.next), error: error.message }),
      );
    throw error;
  }
  const nowMs = deps.now().getTime();
  const expMs = Math.min(
    nowMs + deps.config.ADMIN_SESSION_TTL_S * 1000,
    admin.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
  );
  const session: AdminSession = {
    sub: admin.userId,
    keyId: admin.keyId,
    csrf: randomToken(),
    exp: Math.floor(expMs / 1000),
  };
  setCookie(c, SESSION_COOKIE, await sealSession(key, session), {
    path: COOKIE_PATH,
    httpOnly: true,
    secure: isHttps(c),
    sameSite: 'Strict',
    expires: new Date(session.exp * 1000),
  });
  deleteCookie(c, LOGIN_COOKIE, { path: COOKIE_PATH });
  secureHeaders(c);
  return c.redirect(safeNext(form.data.next), 303);
};

export const signOutHandler: Handler<DashboardEnv> = (c) => {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: isHttps(c) });
  secureHeaders(c);
  return c.redirect('/admin/login', 303);
};

export const overviewPageHandler: Handler<DashboardEnv> = async (c) => {
  const { days } = pageQuery(c, overviewQuerySchema);
  const overview = await getOverview(c.get('deps'), { days });
  return signedIn(c, 'overview', 'Overview', overviewPage(overview, days));
};

const usersQuerySchema = pageQuerySchema.extend({
  plan: safeString().min(1).max(64).optional(),
  status: z.enum(userStatuses).optional(),
  role: z.enum(roles).optional(),
});

// Flash messages after a form's redirect: fixed texts by code, so a link cannot put words on the page.
const notices = {
  plan: 'Plan changed.',
  enabled: 'User enabled.',
  disabled: 'User disabled.',
  retried: 'Job queued again.',
} as const;
const noticeOf = (c: Context) => {
  const done = c.req.query('done');
  return done !== undefined && Object.hasOwn(notices, done)
    ? notices[done as keyof typeof notices]
    : undefined;
};

async function renderUsers(c: DashboardContext, status: 200 | 404 | 409 | 422, error?: string) {
  const deps = c.get('deps');
  const query = pageQuery(c, usersQuerySchema);
  const [page, plans] = await Promise.all([listUsers(deps, query), listPlanNames(deps.db)]);
  const usage = await usageBreakdown(deps, {
    groupBy: 'user',
    userIds: page.items.map((u) => u.id),
    from: new Date(deps.now().getTime() - 29 * DAY_MS).toISOString().slice(0, 10),
    limit: Math.max(page.items.length, 1),
  });
  const body = usersPage({
    page,
    usage: new Map(usage.items.map((g) => [g.key ?? '', g])),
    usageFrom: usage.from,
    plans,
    filters: { plan: query.plan, status: query.status, role: query.role },
    csrf: c.get('session').csrf,
    notice: noticeOf(c),
    error,
  });
  return signedIn(c, 'users', 'Users', body, status);
}

export const usersPageHandler: Handler<DashboardEnv> = (c) => renderUsers(c, 200);

// A failed action shows the page again with the reason, under the action's own status.
async function orShowError(
  c: DashboardContext,
  action: () => Promise<Response>,
  page: (status: 404 | 409 | 422, error: string) => Promise<Response>,
) {
  try {
    return await action();
  } catch (error) {
    if (
      error instanceof AppError &&
      wantsHtml(c) &&
      (error.status === 404 || error.status === 409 || error.status === 422)
    )
      return page(error.status, error.message);
    throw error;
  }
}

const userIdParam = safeString().min(1).max(4096);
const planFormSchema = z.object({ csrf: z.string(), plan: safeString().min(1).max(64) });
const statusFormSchema = z.object({ csrf: z.string(), status: z.enum(userStatuses) });

function parseForm<T extends z.ZodType>(fields: Record<string, unknown>, schema: T): z.output<T> {
  const parsed = schema.safeParse(fields);
  if (!parsed.success)
    throw validationFailed(
      'The form is incomplete or invalid.',
      parsed.error.issues.map((issue) => ({
        pointer: `/body/${issue.path.join('/')}`,
        detail: issue.message,
      })),
    );
  return parsed.data;
}

function userIdOf(c: DashboardContext): string {
  const parsed = userIdParam.safeParse(c.req.param('id'));
  if (!parsed.success)
    throw validationFailed('Invalid user id.', [{ pointer: '/path/id', detail: 'invalid user id' }]);
  return parsed.data;
}

export const changePlanHandler: Handler<DashboardEnv> = (c) =>
  orShowError(
    c,
    async () => {
      const form = parseForm(await formFields(c), planFormSchema);
      await changeUserSubscription(c.get('deps'), {
        actorId: c.get('principal').userId,
        requestId: c.get('requestId'),
        userId: userIdOf(c),
        update: { plan: form.plan },
      });
      return c.redirect('/admin/dashboard/users?done=plan', 303);
    },
    (status, error) => renderUsers(c, status, error),
  );

export const changeStatusHandler: Handler<DashboardEnv> = (c) =>
  orShowError(
    c,
    async () => {
      const form = parseForm(await formFields(c), statusFormSchema);
      await setUserStatus(c.get('deps'), {
        actorId: c.get('principal').userId,
        requestId: c.get('requestId'),
        userId: userIdOf(c),
        status: form.status,
      });
      return c.redirect(`/admin/dashboard/users?done=${form.status}`, 303);
    },
    (status, error) => renderUsers(c, status, error),
  );

export const usagePageHandler: Handler<DashboardEnv> = async (c) => {
  const query = pageQuery(c, usageQuerySchema);
  const breakdown = await usageBreakdown(c.get('deps'), toUsageBreakdownInput(query));
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  return signedIn(c, 'usage', 'Usage', usagePage({ breakdown, filters }));
};

async function renderJobs(c: DashboardContext, status: 200 | 404 | 409 | 422, error?: string) {
  const deps = c.get('deps');
  const query = pageQuery(c, pageQuerySchema);
  const [dead, queue] = await Promise.all([listDeadJobs(deps, query), queueCounts(deps.db)]);
  const body = jobsPage({
    queue,
    dead,
    csrf: c.get('session').csrf,
    notice: noticeOf(c),
    error,
  });
  return signedIn(c, 'jobs', 'Jobs', body, status);
}

export const jobsPageHandler: Handler<DashboardEnv> = (c) => renderJobs(c, 200);

export const retryJobFormHandler: Handler<DashboardEnv> = (c) =>
  orShowError(
    c,
    async () => {
      const id = z.uuid().safeParse(c.req.param('id'));
      if (!id.success)
        throw validationFailed('Invalid job id.', [{ pointer: '/path/id', detail: 'must be a uuid' }]);
      await retryDeadJob(c.get('deps'), jobHandlers, {
        id: id.data,
        actorId: c.get('principal').userId,
        requestId: c.get('requestId'),
      });
      return c.redirect('/admin/dashboard/jobs?done=retried', 303);
    },
    (status, error) => renderJobs(c, status, error),
  );

const agentsQuerySchema = pageQuerySchema.extend({
  user_id: safeString().min(1).max(4096).optional(),
  tool: safeString().min(1).max(64).optional(),
  status: z.enum(toolCallStatuses).optional(),
  run_id: z.uuid().optional(),
});

export const agentsPageHandler: Handler<DashboardEnv> = async (c) => {
  const deps = c.get('deps');
  const query = pageQuery(c, agentsQuerySchema);
  const [runs, audit] = await Promise.all([
    query.user_id === undefined ? undefined : listRuns(deps, { ownerId: query.user_id, limit: 20 }),
    listAudit(deps, {
      limit: query.limit,
      cursor: query.cursor,
      userId: query.user_id,
      tool: query.tool,
      status: query.status,
      runId: query.run_id,
    }),
  ]);
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  return signedIn(c, 'agents', 'Agent runs', agentsPage({ filters, runs, audit }));
};

export const auditPageHandler: Handler<DashboardEnv> = async (c) => {
  const query = pageQuery(c, actionsQuerySchema);
  const page = await listAdminAudit(c.get('deps'), {
    limit: query.limit,
    cursor: query.cursor,
    actorId: query.actor_id,
    action: query.action,
    target: query.target,
  });
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  return signedIn(c, 'audit', 'Admin audit', auditPage({ filters, page }));
};
