import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMeRoute } from '../../src/auth/me.routes.ts';
import { getReadinessRoute } from '../../src/system/system.routes.ts';
import { readBody } from '../helpers/json-request.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium and must run the browser check; a developer machine without it skips that one test.
const haveBrowser = existsSync(chromiumPath) || Boolean(process.env.CI);

describe('npm start (embedded default) as a real process', () => {
  let server: ServerProcess;
  let token: string;
  beforeAll(async () => {
    server = await startServer();
    for (let i = 0; i < 100 && !/CAIRN_TOKEN=/.test(server.stderr()); i++)
      await new Promise((r) => setTimeout(r, 50));
    token = /CAIRN_TOKEN=(\S+)/.exec(server.stderr())?.[1] ?? '';
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('prints a ready-to-use admin token and a curl example', () => {
    expect(token.split('.')).toHaveLength(3);
    expect(server.stderr()).toContain('curl -H "Authorization: Bearer $CAIRN_TOKEN"');
  });

  it('serves /health and /ready over HTTP', async () => {
    expect((await server.request('/health')).status).toBe(200);
    expect(await readBody(await server.request('/ready'), getReadinessRoute, 200)).toMatchObject({
      status: 'ready',
    });
  });

  it('accepts the printed token on /me and refuses a missing one with problem+json', async () => {
    // The server made up its own secret and printed a token signed with it.
    const ok = await server.request('/me', { headers: { Authorization: `Bearer ${token}` } });
    expect(await readBody(ok, getMeRoute, 200)).toEqual({ id: 'admin', role: 'admin', plan: 'free' });
    const denied = await server.request('/me');
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
  });

  it('logs one JSON line per request without the token', async () => {
    await server.request('/health', { headers: { 'X-Request-Id': 'e2e-log-check' } });
    await new Promise((r) => setTimeout(r, 100));
    const line = server.stdout.map((l) => JSON.parse(l)).find((l) => l.request_id === 'e2e-log-check');
    expect(line).toMatchObject({ msg: 'request', route: '/health', status: 200 });
    expect(server.stdout.join('\n')).not.toContain(token);
  });

  it.runIf(haveBrowser)('renders /docs in Chromium and runs a request from the page', async () => {
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
      ],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.baseUrl}/docs`);
      await page.fill('#token', token);
      await page.dispatchEvent('#token', 'change');
      // GET /me (the same path also has DELETE: erase my data).
      const me = page
        .locator('details', { has: page.locator('code', { hasText: /^\/me$/ }) })
        .filter({ has: page.locator('span.m.get') });
      await me.locator('summary').click();
      await me.getByRole('button', { name: 'Send request' }).click();
      await expect.poll(() => me.locator('pre').textContent()).toContain('"role": "admin"');
      expect(await page.locator('h2').allTextContents()).toEqual(
        expect.arrayContaining(['system', 'account']),
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('startup configuration errors', () => {
  it('stops with a message naming the invalid setting', async () => {
    await expect(startServer({ PORT: 'not-a-port', LOG_LEVEL: 'chatty' })).rejects.toThrow(
      /PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/,
    );
  });

  it('requires JWT_SECRET when DATABASE_URL points at PostgreSQL', async () => {
    await expect(
      startServer({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' }),
    ).rejects.toThrow(/JWT_SECRET/);
  });
});
