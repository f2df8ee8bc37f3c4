import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchTransport } from '../../../src/agents/tools/http/fetch-transport.ts';
import type { OutboundHttp, OutboundRequest } from '../../../src/agents/tools/http/outbound-http.ts';
import { httpRequestTool } from '../../../src/agents/tools/http-request.tool.ts';
import type { ToolContext } from '../../../src/agents/tools/tool.ts';
import { ToolError } from '../../../src/agents/tools/tool-error.ts';
import type { Deps } from '../../../src/deps.ts';
import { createPinnedHttp } from '../../../src/node/pinned-http.ts';
import { createTestApp, useTestDatabase } from '../../helpers/test-app.ts';

const CAP = 1024;

interface Seen {
  method: string | undefined;
  url: string | undefined;
  host: string | undefined;
  contentType: string | undefined;
  body: string;
}

/** A fake JSON API on loopback; records every request it gets. */
function startApi(address: string, port = 0) {
  const seen: Seen[] = [];
  const hanging = new Set<ServerResponse>();
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: string) => void> = {
    '/json': (_req, res) => json(res, { hello: 'world', served_by: address }),
    '/echo': (req, res, body) =>
      json(res, {
        method: req.method,
        content_type: req.headers['content-type'],
        received: JSON.parse(body),
      }),
    '/text': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('plain text, ünïcödé');
    },
    '/bad-json': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/problem+json' });
      res.end('{not json');
    },
    '/binary': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.from([0, 1, 2, 3, 255]));
    },
    '/big': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: 'x'.repeat(CAP * 50) }));
    },
    '/empty': (_req, res) => {
      res.writeHead(204);
      res.end();
    },
    '/loop': (_req, res) => {
      res.writeHead(302, { location: '/loop' });
      res.end();
    },
    '/hang': (_req, res) => {
      hanging.add(res);
    },
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        host: req.headers.host,
        contentType: req.headers['content-type'],
        body,
      });
      const url = new URL(req.url ?? '/', 'http://fake');
      const redirect = /^\/redirect\/(\d{3})$/.exec(url.pathname);
      if (redirect) {
        res.writeHead(Number(redirect[1]), { location: url.searchParams.get('to') ?? '/json' });
        res.end();
        return;
      }
      const route = routes[url.pathname];
      if (route) route(req, res, body);
      else json(res, { error: 'not found' }, 404);
    });
  });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return {
    seen,
    listening,
    get port() {
      return (server.address() as AddressInfo).port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, value: unknown, status = 200) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const api = startApi('127.0.0.1');
await api.listening;
const origin = `http://127.0.0.1:${api.port}`;
afterAll(() => api.close());

async function failure(promise: Promise<unknown>): Promise<ToolError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a ToolError, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolError);
  return error as ToolError;
}

describe('http_request tool', () => {
  const database = useTestDatabase('pglite');
  let deps: Deps;
  beforeAll(() => {
    deps = createTestApp(database, {
      env: {
        AGENT_HTTP_ALLOWED_HOSTS: `127.0.0.1:${api.port}, localhost:${api.port}, rebind.test:${api.port}`,
        AGENT_HTTP_MAX_RESPONSE_BYTES: String(CAP),
        AGENT_HTTP_MAX_REDIRECTS: '3',
      },
    }).deps;
  });
  beforeEach(() => {
    api.seen.length = 0;
  });

  const context = (overrides: Partial<ToolContext> = {}): ToolContext => ({
    deps,
    userId: 'u',
    role: 'user',
    signal: AbortSignal.timeout(5000),
    meta: {},
    ...overrides,
  });
  const request = (
    args: { url: string; method?: 'GET' | 'POST'; json?: Record<string, unknown> },
    ctx = context(),
  ) => httpRequestTool.execute(httpRequestTool.input.parse(args), ctx);

  it('GETs JSON from an allowed host', async () => {
    await expect(request({ url: `${origin}/json` })).resolves.toEqual({
      status: 200,
      url: `${origin}/json`,
      content_type: 'application/json',
      body: { hello: 'world', served_by: '127.0.0.1' },
      truncated: false,
    });
    expect(api.seen).toEqual([
      expect.objectContaining({ method: 'GET', url: '/json', host: `127.0.0.1:${api.port}` }),
    ]);
  });

  it('POSTs a JSON body and reads the echo', async () => {
    const result = await request({ url: `${origin}/echo?x=1`, method: 'POST', json: { a: 1, b: ['two'] } });
    expect(result).toMatchObject({
      status: 200,
      body: { method: 'POST', content_type: 'application/json', received: { a: 1, b: ['two'] } },
    });
  });

  it('returns text bodies as text, and JSON that does not parse as text', async () => {
    await expect(request({ url: `${origin}/text` })).resolves.toMatchObject({
      status: 200,
      content_type: 'text/plain; charset=utf-8',
      body: 'plain text, ünïcödé',
    });
    await expect(request({ url: `${origin}/bad-json` })).resolves.toMatchObject({ body: '{not json' });
    await expect(request({ url: `${origin}/empty` })).resolves.toMatchObject({ status: 204, body: '' });
    await expect(request({ url: `${origin}/missing` })).resolves.toMatchObject({
      status: 404,
      body: { error: 'not found' },
    });
  });

  it('refuses binary content types', async () => {
    const error = await failure(request({ url: `${origin}/binary` }));
    expect(error.code).toBe('failed');
    expect(error.message).toMatch(/unsupported content type application\/octet-stream/);
  });

  it('caps the body at AGENT_HTTP_MAX_RESPONSE_BYTES and says it was truncated', async () => {
    const result = (await request({ url: `${origin}/big` })) as { body: unknown; truncated: boolean };
    expect(result.truncated).toBe(true);
    expect(typeof result.body).toBe('string');
    expect(Buffer.byteLength(result.body as string)).toBe(CAP);
    expect(result.body).toMatch(/^\{"items":"x+$/);
  });

  it('refuses hosts and ports that are not allowed, without sending anything', async () => {
    for (const url of [
      `http://127.0.0.1:${api.port + 1}/json`,
      'http://example.com/',
      `http://127.0.0.2:${api.port}/json`,
      `http://[::1]:${api.port}/json`,
    ]) {
      const error = await failure(request({ url }));
      expect(error.code).toBe('not_allowed');
      expect(error.message).toMatch(/is not an allowed host/);
    }
    expect(api.seen).toEqual([]);
  });

  it('refuses credentials in the URL, json on GET, and non-http schemes', async () => {
    const withCredentials = await failure(request({ url: `http://user:secret@127.0.0.1:${api.port}/json` }));
    expect(withCredentials.code).toBe('not_allowed');
    expect(withCredentials.message).not.toMatch(/secret/);
    expect(httpRequestTool.input.safeParse({ url: `${origin}/json`, json: { a: 1 } }).success).toBe(false);
    expect(httpRequestTool.input.safeParse({ url: 'file:///etc/passwd' }).success).toBe(false);
    expect(httpRequestTool.input.safeParse({ url: `${origin}/json`, headers: { a: 'b' } }).success).toBe(
      false,
    );
    expect(httpRequestTool.input.safeParse({ url: `${origin}/${'a'.repeat(2048)}` }).success).toBe(false);
    const onGet = await failure(
      httpRequestTool.execute({ url: `${origin}/json`, method: 'GET', json: {} }, context()),
    );
    expect(onGet.code).toBe('invalid_arguments');
    expect(api.seen).toEqual([]);
  });

  it('refuses every call when no host is allowed', async () => {
    const bare = createTestApp(database).deps;
    const error = await failure(request({ url: `${origin}/json` }, context({ deps: bare })));
    expect(error.code).toBe('not_allowed');
    expect(error.message).toMatch(/no hosts are allowed/);
    expect(api.seen).toEqual([]);
  });

  it('refuses an allowed name that resolves to a private address (localhost)', async () => {
    const error = await failure(request({ url: `http://localhost:${api.port}/json` }));
    expect(error.code).toBe('not_allowed');
    expect(error.message).toMatch(/localhost resolves to a private address/);
    expect(api.seen).toEqual([]);
  });

  it('refuses an allowed name whose DNS answer holds a private address: one lookup, no connection', async () => {
    const calls: string[] = [];
    const outboundHttp = createPinnedHttp({
      lookup: async (hostname) => {
        calls.push(hostname);
        return [
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ];
      },
    });
    const url = `http://rebind.test:${api.port}/json`;
    const error = await failure(request({ url }, context({ deps: { ...deps, outboundHttp } })));
    expect(error.code).toBe('not_allowed');
    expect(error.message).toMatch(/rebind.test resolves to a private address/);
    expect(calls).toEqual(['rebind.test']);
    expect(api.seen).toEqual([]);
  });

  it('follows a redirect to an allowed host, re-checking the hop', async () => {
    const result = await request({ url: `${origin}/redirect/302?to=/json` });
    expect(result).toMatchObject({ status: 200, url: `${origin}/json`, body: { hello: 'world' } });
    expect(api.seen.map((r) => r.url)).toEqual(['/redirect/302?to=/json', '/json']);
  });

  it('turns a POST into a GET without body after 303, and keeps it after 307', async () => {
    await request({ url: `${origin}/redirect/303?to=/json`, method: 'POST', json: { a: 1 } });
    expect(api.seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/redirect/303?to=/json', '{"a":1}'],
      ['GET', '/json', ''],
    ]);
    api.seen.length = 0;
    await request({ url: `${origin}/redirect/307?to=/echo`, method: 'POST', json: { a: 1 } });
    expect(api.seen.map((r) => [r.method, r.url, r.body])).toEqual([
      ['POST', '/redirect/307?to=/echo', '{"a":1}'],
      ['POST', '/echo', '{"a":1}'],
    ]);
  });

  it('refuses a redirect to a host that is not allowed', async () => {
    for (const to of [
      'http://example.com/',
      `http://127.0.0.1:${api.port + 1}/json`,
      'http://169.254.169.254/',
    ]) {
      const error = await failure(request({ url: `${origin}/redirect/301?to=${encodeURIComponent(to)}` }));
      expect(error.code).toBe('not_allowed');
    }
    const toFile = await failure(
      request({ url: `${origin}/redirect/302?to=${encodeURIComponent('file:///etc/passwd')}` }),
    );
    expect(toFile.code).toBe('not_allowed');
    expect(api.seen).toHaveLength(4);
  });

  it('stops a redirect loop at AGENT_HTTP_MAX_REDIRECTS', async () => {
    const error = await failure(request({ url: `${origin}/loop` }));
    expect(error.code).toBe('failed');
    expect(error.message).toMatch(/too many redirects/);
    // The first request and 3 followed hops.
    expect(api.seen).toHaveLength(4);
  });

  it('times out on an endpoint that never answers', async () => {
    const started = Date.now();
    const error = await failure(
      request({ url: `${origin}/hang` }, context({ signal: AbortSignal.timeout(300) })),
    );
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(4000);
  });
});

describe('pinned Node transport', () => {
  const base: Omit<OutboundRequest, 'url' | 'signal'> = {
    method: 'GET',
    headers: {},
    maxBytes: CAP,
    allowPrivateAddress: false,
  };
  const send = (transport: OutboundHttp, url: string, overrides: Partial<OutboundRequest> = {}) =>
    transport({ ...base, url: new URL(url), signal: AbortSignal.timeout(5000), ...overrides });

  it('connects to the address it checked: a changed DNS answer (rebinding) is never asked for', async () => {
    // A second server on another loopback address, same port: where a second resolution would go.
    const other = startApi('127.0.0.2', api.port);
    await other.listening;
    try {
      const calls: string[] = [];
      const transport = createPinnedHttp({
        lookup: async (hostname) => {
          calls.push(hostname);
          return [{ address: calls.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
        },
      });
      api.seen.length = 0;
      // Loopback stands in for the checked public address (tests reach loopback only), so the
      // private-address refusal is lifted for this request.
      const response = await send(transport, `http://rebind.test:${api.port}/json`, {
        allowPrivateAddress: true,
      });
      expect(JSON.parse(new TextDecoder().decode(response.body))).toEqual({
        hello: 'world',
        served_by: '127.0.0.1',
      });
      expect(calls).toEqual(['rebind.test']);
      // The name still travels in the Host header.
      expect(api.seen).toEqual([expect.objectContaining({ url: '/json', host: `rebind.test:${api.port}` })]);
      expect(other.seen).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('refuses a name when any of its addresses is private, before connecting', async () => {
    const calls: string[] = [];
    const transport = createPinnedHttp({
      lookup: async (hostname) => {
        calls.push(hostname);
        return [
          { address: '93.184.216.34', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ];
      },
    });
    const error = await failure(send(transport, `http://rebind.test:${api.port}/json`));
    expect(error.code).toBe('not_allowed');
    expect(calls).toEqual(['rebind.test']);
  });

  it('refuses private IP literals unless the allowlist named them, and IPv6 mapped forms', async () => {
    const transport = createPinnedHttp({
      lookup: () => {
        throw new Error('an IP literal is never resolved');
      },
    });
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://[::1]/',
    ]) {
      expect((await failure(send(transport, url))).code).toBe('not_allowed');
    }
    const response = await send(transport, `${origin}/json`, { allowPrivateAddress: true });
    expect(response.status).toBe(200);
  });

  it('stops reading at maxBytes, and fails on an unresolvable name', async () => {
    const transport = createPinnedHttp();
    const response = await send(transport, `${origin}/big`, { allowPrivateAddress: true, maxBytes: 100 });
    expect(response).toMatchObject({ status: 200, truncated: true });
    expect(response.body.byteLength).toBe(100);
    const failing = createPinnedHttp({
      lookup: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    expect((await failure(send(failing, 'http://nowhere.invalid/'))).message).toMatch(/could not resolve/);
  });
});

describe('fetch transport (Workers)', () => {
  const send = (url: string, overrides: Partial<OutboundRequest> = {}) =>
    fetchTransport({
      url: new URL(url),
      method: 'GET',
      headers: {},
      maxBytes: CAP,
      allowPrivateAddress: false,
      signal: AbortSignal.timeout(5000),
      ...overrides,
    });

  it('refuses private IP literals: metadata, IPv4-mapped loopback, loopback spellings', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00:ec2::254]/',
      'http://0x7f.1/',
      `http://127.0.0.1:${api.port}/json`,
    ]) {
      const error = await failure(send(url));
      expect(error.code).toBe('not_allowed');
    }
  });

  it('reaches an IP literal the allowlist named, returns redirects unfollowed, and caps the body', async () => {
    const ok = await send(`${origin}/json`, { allowPrivateAddress: true });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json');
    const redirect = await send(`${origin}/redirect/302?to=/json`, { allowPrivateAddress: true });
    expect(redirect).toMatchObject({ status: 302, headers: expect.objectContaining({ location: '/json' }) });
    const big = await send(`${origin}/big`, { allowPrivateAddress: true, maxBytes: 100 });
    expect(big.truncated).toBe(true);
    expect(big.body.byteLength).toBe(100);
  });
});
