import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/mint-token.ts';
import type { DatabaseHandle } from '../../src/node/open-database.ts';
import { openTestDatabase } from '../helpers/databases.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';
import { type ServerProcess, startServer } from './server-process.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI installs Chromium and must run the browser check; a developer machine without it skips it.
const haveBrowser = existsSync(chromiumPath) || Boolean(process.env.CI);

/** A tiny site on its own port (so its own origin) that serves one empty page. */
async function startSite(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>a page of another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the page's script reads back from its cross-origin call, or the error fetch threw. */
type CallResult =
  | { ok: true; status: number; headers: Record<string, string | null>; content: string }
  | { ok: false; error: string };

describe.runIf(haveBrowser && process.env.TEST_DATABASE_URL)('CORS in Chromium', () => {
  let database: DatabaseHandle;
  let server: ServerProcess;
  let browser: Browser;
  let allowedSite: Awaited<ReturnType<typeof startSite>>;
  let otherSite: Awaited<ReturnType<typeof startSite>>;

  beforeAll(async () => {
    [allowedSite, otherSite] = await Promise.all([startSite(), startSite()]);
    database = await openTestDatabase('postgres');
    server = await startServer({
      DATABASE_URL: (database as DatabaseHandle & { url: string }).url,
      JWT_SECRET: TEST_JWT_SECRET,
      CORS_ALLOWED_ORIGINS: allowedSite.origin,
    });
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
    for (const site of [allowedSite, otherSite]) await new Promise((resolve) => site?.server.close(resolve));
  });

  /** Opens a page on `origin` and has it POST a chat completion to cairn with a token and an Idempotency-Key. */
  async function callFrom(origin: string, sub: string, key: string): Promise<CallResult> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      const token = await mintToken({ secret: TEST_JWT_SECRET, sub, role: 'user' });
      return await page.evaluate(
        async ({ api, token, key }): Promise<CallResult> => {
          try {
            const res = await fetch(`${api}/v1/chat/completions`, {
              method: 'POST',
              headers: {
                Authorization: `Bearer ${token}`,
                'Content-Type': 'application/json',
                'Idempotency-Key': key,
              },
              body: JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'Say hello.' }] }),
            });
            const read = (name: string) => res.headers.get(name);
            const body = (await res.json()) as { choices: { message: { content: string } }[] };
            return {
              ok: true,
              status: res.status,
              headers: Object.fromEntries(
                [
                  'RateLimit',
                  'RateLimit-Policy',
                  'X-Request-Id',
                  'Idempotent-Replayed',
                  'x-cairn-overhead-ms',
                ].map((name) => [name, read(name)]),
              ),
              content: body.choices[0]!.message.content,
            };
          } catch (error) {
            return { ok: false, error: String(error) };
          }
        },
        { api: server.baseUrl, token, key },
      );
    } finally {
      await page.close();
    }
  }

  it('lets a page on an allowed origin call with a token and an Idempotency-Key, and read the headers', async () => {
    const first = await callFrom(allowedSite.origin, 'cors-browser', 'cors-browser-1');
    if (!first.ok) throw new Error(`the cross-origin call failed: ${first.error}`);
    expect(first.status).toBe(200);
    expect(first.content.length).toBeGreaterThan(0);
    expect(first.headers.RateLimit).toMatch(/^"model-/);
    expect(first.headers['RateLimit-Policy']).toMatch(/q=\d+/);
    expect(first.headers['X-Request-Id']).toMatch(/.+/);
    expect(first.headers['x-cairn-overhead-ms']).toMatch(/^\d/);
    expect(first.headers['Idempotent-Replayed']).toBeNull();

    const replay = await callFrom(allowedSite.origin, 'cors-browser', 'cors-browser-1');
    if (!replay.ok) throw new Error(`the replayed call failed: ${replay.error}`);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');
    expect(replay.content).toBe(first.content);
  });

  it('refuses the same call from a page on an origin that is not allowed', async () => {
    const refused = await callFrom(otherSite.origin, 'cors-browser-other', 'cors-browser-2');
    expect(refused).toEqual({ ok: false, error: expect.stringMatching(/TypeError: Failed to fetch/) });
  });
});
