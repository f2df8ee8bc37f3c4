import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOverviewRoute } from '../../src/admin/overview/overview.routes.ts';
import { getUserRoute } from '../../src/admin/users/users.routes.ts';
import { mintToken } from '../../src/auth/mint-token.ts';
import { jobs } from '../../src/db/tables/jobs.ts';
import { usageEvents } from '../../src/db/tables/usage.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { postJson, readBody } from '../helpers/json-request.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium and must run the browser check; a developer machine without it skips it.
const haveBrowser = existsSync(chromiumPath) || Boolean(process.env.CI);
// `ADMIN_SCREENSHOTS=1 npx vitest run test/e2e/admin-dashboard.test.ts` refreshes docs/images/admin-*.png.
const screenshots = process.env.ADMIN_SCREENSHOTS === '1';
const imagesDir = path.resolve(import.meta.dirname, '../../docs/images');
const DAY_MS = 86_400_000;

/**
 * Usage history for the charts: two weeks of model calls before today, as the accounting wrapper
 * would have stored them (today's come from real requests below).
 */
async function storeHistory(database: DatabaseHandle) {
  const rows: (typeof usageEvents.$inferInsert)[] = [];
  const now = Date.now();
  for (let day = 13; day >= 1; day--) {
    const calls = 6 + ((day * 7) % 9);
    for (let i = 0; i < calls; i++) {
      const failed = (day + i) % 11 === 0;
      rows.push({
        createdAt: new Date(now - day * DAY_MS + i * 60_000),
        serverRequestId: randomUUID(),
        userId: ['e2e-ada', 'e2e-grace', 'e2e-linus'][i % 3],
        route: ['/analyze', '/v1/chat/completions', '/search', '/agent/runs'][i % 4],
        provider: 'openai',
        model: i % 2 ? 'gpt-4o-mini' : 'gpt-4o',
        operation: 'chat',
        tokensIn: 200 + ((day * 37 + i * 53) % 900),
        tokensOut: failed ? 0 : 80 + ((day * 17 + i * 29) % 400),
        costUsd: ((i % 2 ? 0.0004 : 0.004) * (1 + (day % 5))).toFixed(6),
        priced: true,
        latencyMs: 300 + ((day * 131 + i * 97) % 1400),
        attempts: failed ? 3 : 1,
        status: failed ? 'upstream_error' : 'ok',
      });
    }
  }
  await database.db.insert(usageEvents).values(rows);
}

describe.runIf(haveBrowser && process.env.TEST_DATABASE_URL)('the admin dashboard in Chromium', () => {
  let database: DatabaseHandle;
  let server: ServerProcess;
  let browser: Browser;
  let deadJobId: string;
  const adminToken = () => mintToken({ secret: TEST_JWT_SECRET, sub: 'e2e-admin', role: 'admin' });

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    server = await startServer({
      DATABASE_URL: (database as DatabaseHandle & { url: string }).url,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    await storeHistory(database);
    // Today's figures from real requests: analyses and an agent run per user.
    for (const sub of ['e2e-ada', 'e2e-grace', 'e2e-linus']) {
      expect(
        (await server.as(sub, '/analyze', postJson({ text: `Release notes by ${sub}: faster and fixed.` })))
          .status,
      ).toBe(200);
      expect(
        (await server.as(sub, '/agent/runs', postJson({ input: 'What is 17.5% of 2480?' }))).status,
      ).toBe(200);
    }
    const [dead] = await database.db
      .insert(jobs)
      .values({
        kind: 'rag.ingest',
        payload: { documentId: randomUUID() },
        status: 'dead',
        attempts: 5,
        maxAttempts: 5,
        lastError: 'embedding provider returned 503 five times',
      })
      .returning({ id: jobs.id });
    deadJobId = dead!.id;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server) expect(await server.stop()).toBe(0);
    await database?.close();
  });

  async function signedInPage(token: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.baseUrl}/admin/dashboard`);
    // No session yet: the dashboard sends the browser to sign in.
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
    return page;
  }

  const shot = async (page: Page, name: string) => {
    if (screenshots)
      await page.screenshot({ path: path.join(imagesDir, `admin-${name}.png`), fullPage: true });
  };

  it('signs an admin in and shows the overview with the figures of the JSON API', async () => {
    // Request counts are stored within USAGE_FLUSH_INTERVAL_MS of the requests above.
    await expect
      .poll(
        async () =>
          (
            await readBody(
              await server.as('e2e-admin', '/admin/overview?days=1', { role: 'admin' }),
              getOverviewRoute,
              200,
            )
          ).http.totals.requests,
      )
      .toBeGreaterThan(0);
    const page = await signedInPage(await adminToken());
    expect(new URL(page.url()).pathname).toBe('/admin/dashboard');
    const api = await readBody(
      await server.as('e2e-admin', '/admin/overview?days=14', { role: 'admin' }),
      getOverviewRoute,
      200,
    );
    const figure = (name: string) => page.locator(`[data-figure="${name}"]`).getAttribute('data-value');
    expect(Number(await figure('totals.model_calls'))).toBe(api.totals.model_calls);
    expect(Number(await figure('totals.requests'))).toBe(api.totals.requests);
    expect(Number(await figure('totals.cost_usd'))).toBe(api.totals.cost_usd);
    expect(Number(await figure('totals.model_call_error_rate'))).toBe(api.totals.model_call_error_rate);
    expect(Number(await figure('totals.model_call_latency_p95_ms'))).toBe(
      api.totals.model_call_latency_p95_ms,
    );
    expect(Number(await figure('active_users.last_day'))).toBe(api.active_users.last_day);
    expect(api.totals.model_calls).toBeGreaterThan(100);
    // Every request counts, the API call above included: the card is there, with a positive count.
    expect(Number(await figure('http.totals.requests'))).toBeGreaterThan(0);
    expect(await page.locator('figure.chart svg').count()).toBe(6);
    // Each day of the window is a point of the latency chart's p50 line.
    const modelLatency = page.locator('figure.chart', { hasText: 'Model-call latency' });
    expect(await modelLatency.locator('g[data-series="p50"] circle').count()).toBe(14);
    await shot(page, 'overview');
    await page.close();
  });

  it('changes a plan from the users page', async () => {
    const page = await signedInPage(await adminToken());
    await page.goto(`${server.baseUrl}/admin/dashboard/users`);
    const row = page.locator('tr[data-user="e2e-grace"]');
    await expect.poll(() => row.locator('[data-field="plan"]').textContent()).toBe('free');
    await shot(page, 'users');
    await row.locator('select[name=plan]').selectOption('pro');
    await row.getByRole('button', { name: 'Change' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toBe('Plan changed.');
    expect(await page.locator('tr[data-user="e2e-grace"] [data-field="plan"]').textContent()).toBe('pro');
    const user = await readBody(
      await server.as('e2e-admin', '/admin/users/e2e-grace', { role: 'admin' }),
      getUserRoute,
      200,
    );
    expect(user.plan).toBe('pro');
    await page.close();
  });

  it('retries a dead job from the jobs page', async () => {
    const page = await signedInPage(await adminToken());
    await page.goto(`${server.baseUrl}/admin/dashboard/jobs`);
    const row = page.locator(`tr[data-job="${deadJobId}"]`);
    expect(await row.count()).toBe(1);
    await shot(page, 'jobs');
    await row.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.locator('.notice').textContent()).toBe('Job queued again.');
    await page.goto(`${server.baseUrl}/admin/dashboard/audit?action=job.retry`);
    expect(await page.locator('[data-field="target"]').allTextContents()).toEqual([`job:${deadJobId}`]);
    await page.goto(`${server.baseUrl}/admin/dashboard/audit`);
    await shot(page, 'audit');
    await page.close();
  });

  it('shows usage by user and agent runs', async () => {
    const page = await signedInPage(await adminToken());
    await page.goto(`${server.baseUrl}/admin/dashboard/usage?group_by=user`);
    const keys = await page
      .locator('#usage tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    expect(keys).toEqual(expect.arrayContaining(['e2e-ada', 'e2e-grace', 'e2e-linus']));
    await shot(page, 'usage');
    await page.goto(`${server.baseUrl}/admin/dashboard/agents?user_id=e2e-ada`);
    expect(await page.locator('#runs tbody tr').count()).toBe(1);
    expect(await page.locator('#tool-calls tbody tr').count()).toBeGreaterThan(0);
    await shot(page, 'agents');
    await page.close();
  });

  it('refuses a non-admin with a 403 page', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/admin/login`);
    await shot(page, 'login');
    await page.fill('#token', await mintToken({ secret: TEST_JWT_SECRET, sub: 'e2e-ada', role: 'user' }));
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    expect(response.status()).toBe(403);
    expect(await page.locator('.error').textContent()).toContain('requires the "admin" role');
    await page.goto(`${server.baseUrl}/admin/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.close();
  });
});
