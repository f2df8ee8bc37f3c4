import { Hono } from 'hono';
import { rateLimit } from '../../guards/rate-limit/rate-limit.middleware.ts';
import { limitBody } from '../../http/body-limit.middleware.ts';
import { createRouter } from '../../http/create-router.ts';
import {
  agentsPageHandler,
  auditPageHandler,
  changePlanHandler,
  changeStatusHandler,
  dashboardErrorHandler,
  dashboardRootHandler,
  jobsPageHandler,
  loginPageHandler,
  overviewPageHandler,
  retryJobFormHandler,
  signInHandler,
  signOutHandler,
  usagePageHandler,
  usersPageHandler,
} from './dashboard.handlers.ts';
import { type DashboardEnv, requireSession } from './session.middleware.ts';

const pages = new Hono<DashboardEnv>()
  .onError(dashboardErrorHandler)
  .use('/admin/login', limitBody())
  .use('/admin/logout', limitBody(), requireSession)
  // Matches /admin/dashboard itself too. Signed-in pages count against the admin route class's
  // rate limit, per admin.
  .use('/admin/dashboard/*', limitBody(), requireSession, rateLimit('admin'))
  .get('/admin', dashboardRootHandler)
  .get('/admin/login', loginPageHandler)
  .post('/admin/login', signInHandler)
  .post('/admin/logout', signOutHandler)
  .get('/admin/dashboard', overviewPageHandler)
  .get('/admin/dashboard/users', usersPageHandler)
  .post('/admin/dashboard/users/:id/plan', changePlanHandler)
  .post('/admin/dashboard/users/:id/status', changeStatusHandler)
  .get('/admin/dashboard/usage', usagePageHandler)
  .get('/admin/dashboard/jobs', jobsPageHandler)
  .post('/admin/dashboard/jobs/:id/retry', retryJobFormHandler)
  .get('/admin/dashboard/agents', agentsPageHandler)
  .get('/admin/dashboard/audit', auditPageHandler);

/**
 * The dashboard's HTML pages, sign-in and sign-out: served beside the API but, like /docs, not
 * part of its OpenAPI document.
 */
export const adminDashboardRouter = createRouter().route('/', pages);
