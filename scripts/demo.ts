// `npm run demo [-- --url http://127.0.0.1:8787]`: walks through cairn's five capabilities against a
// running server (the embedded default of `npm start` unless told otherwise) and prints a transcript.
// Tokens: CAIRN_TOKEN / CAIRN_ADMIN_TOKEN when set, else minted for the configured secret
// (JWT_SECRET, or the embedded default's secret in DATA_DIR), as `npm run token` does.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { mintToken } from '../src/auth/mint-token.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { ensureJwtSecret } from '../src/node/jwt-secret.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.CAIRN_URL ?? 'http://127.0.0.1:8787' },
    // A fresh demo user per run, so quotas and documents start empty.
    user: { type: 'string', default: `demo-${randomUUID().slice(0, 8)}` },
  },
});
const base = values.url!.replace(/\/$/, '');

class DemoError extends Error {}

// Response bodies as the transcript reads them: the routes' schemas are in docs/openapi.json.
// biome-ignore lint/suspicious/noExplicitAny: a transcript walks many response shapes loosely
type Json = any;

async function tokens(): Promise<{ user: string; admin: string }> {
  const config = loadConfig(process.env);
  const mint = async (sub: string, role: 'user' | 'admin') => {
    const secret = config.JWT_SECRET ?? (await ensureJwtSecret(config.DATA_DIR)).secret;
    return mintToken({
      secret,
      sub,
      role,
      expiresIn: '1h',
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  };
  return {
    user: process.env.CAIRN_TOKEN ?? (await mint(values.user!, 'user')),
    admin: process.env.CAIRN_ADMIN_TOKEN ?? (await mint('demo-admin', 'admin')),
  };
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const section = (title: string) => out(`\n== ${title} ==`);
const show = (label: string, value: unknown) =>
  out(`   ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);

/**
 * One HTTP call, printed as `→ METHOD path  status`; a status other than `expect` stops the demo.
 * A rate limit's 429 is waited out (its Retry-After) and the call sent again, as a client should:
 * the demo's model calls come faster than the default 10 a second when ingestion is quick.
 */
async function call(
  token: string | undefined,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; expect?: number } = {},
): Promise<{ res: Response; body: Json }> {
  const send = () =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  let res = await send();
  for (let retries = 0; res.status === 429 && options.expect !== 429 && retries < 3; retries++) {
    const seconds = Number(res.headers.get('retry-after') ?? 1);
    await res.body?.cancel();
    out(`-> ${method} ${path}  429, rate limited: again in ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    res = await send();
  }
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? JSON.parse(text) : text;
  out(`-> ${method} ${path}  ${res.status}`);
  const expected = options.expect ?? 200;
  if (res.status !== expected) {
    throw new DemoError(
      `${method} ${path} answered ${res.status}, expected ${expected}: ${text.slice(0, 500)}`,
    );
  }
  return { res, body };
}

async function gateway(token: string) {
  section('1. Structured LLM gateway');
  const analyzed = await call(token, 'POST', '/analyze', {
    body: { text: 'Acme Corp shipped the new search in Berlin. Customers love it.' },
  });
  show('result', analyzed.body.result);
  show('usage', analyzed.body.usage);
  show('latency in cairn (x-cairn-overhead-ms)', analyzed.res.headers.get('x-cairn-overhead-ms') ?? '-');

  const custom = await call(token, 'POST', '/analyze', {
    body: {
      text: 'Order 1042: three lamps, shipped to Lisbon.',
      schema: {
        type: 'object',
        properties: { order_id: { type: 'string' }, city: { type: 'string' } },
        required: ['order_id', 'city'],
      },
    },
  });
  show('your schema', custom.body.result);

  out('-> the openai SDK against /v1');
  // The SDK waits out a rate limit's 429 (Retry-After) and retries, as call() does.
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 3 });
  const reply = await client.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'Say hello to the demo.' }],
  });
  show('chat.completions', reply.choices[0]?.message.content ?? '');
  show('usage', reply.usage);
  let streamed = '';
  let chunks = 0;
  for await (const chunk of await client.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'Stream a short greeting.' }],
    stream: true,
    stream_options: { include_usage: true },
  })) {
    chunks++;
    streamed += chunk.choices[0]?.delta.content ?? '';
  }
  show(`streamed (${chunks} chunks)`, streamed);
}

async function rag(token: string) {
  section('2. RAG on Postgres + pgvector');
  const documents = [
    {
      title: 'Vacuum',
      content:
        'VACUUM reclaims storage occupied by dead tuples. Autovacuum runs it in the background; ' +
        'VACUUM FULL rewrites the table and takes an exclusive lock.',
    },
    {
      title: 'Indexes',
      content:
        'CREATE INDEX CONCURRENTLY builds an index without blocking writes. A partial index covers ' +
        'only the rows matching its WHERE clause, which keeps it small.',
    },
  ];
  const ids: string[] = [];
  for (const document of documents) {
    const { body } = await call(token, 'POST', '/documents', { body: document, expect: 202 });
    ids.push(body.document_id);
  }
  out('   waiting for ingestion (queued jobs) ...');
  for (const id of ids) {
    for (let i = 0; ; i++) {
      const res = await fetch(`${base}/documents/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { status?: string; error?: string };
      if (body.status === 'ready') break;
      if (body.status === 'failed') throw new DemoError(`ingestion of ${id} failed: ${body.error}`);
      if (i > 300) throw new DemoError(`document ${id} not ready after 60 s (status ${body.status})`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  show('ingested', `${ids.length} documents`);
  const search = await call(token, 'POST', '/search', {
    body: { query: 'build an index without blocking writes', top_k: 3 },
  });
  const [top] = search.body.results;
  show('top hit', { title: top?.document_title, score: top?.score });
  const chat = await call(token, 'POST', '/chat', { body: { message: 'What does VACUUM reclaim?' } });
  show('answer', chat.body.answer);
  show('citations', (chat.body.citations ?? []).length);
}

async function agents(token: string) {
  section('3. Tool-calling agents');
  const run = await call(token, 'POST', '/agent/runs', { body: { input: 'What is 17.5% of 2480?' } });
  show('answer', run.body.answer);
  show('stop_reason', run.body.stop_reason);
  for (const step of run.body.steps ?? []) {
    const tools = (step.tool_calls ?? []).map(
      (t: { tool: string; status: string }) => `${t.tool}:${t.status}`,
    );
    show(`step ${step.step}`, `${step.decision}${tools.length ? ` (${tools.join(', ')})` : ''}`);
  }
  const stored = await call(token, 'GET', `/agent/runs/${run.body.run_id}`);
  show('stored run', { status: stored.body.status, steps: (stored.body.steps ?? []).length });
}

async function reliability(token: string, admin: string) {
  section('4. Reliability and observability');
  const key = randomUUID();
  const first = await call(token, 'POST', '/analyze', {
    body: { text: 'Ship it.' },
    headers: { 'Idempotency-Key': key },
  });
  const replay = await call(token, 'POST', '/analyze', {
    body: { text: 'Ship it.' },
    headers: { 'Idempotency-Key': key },
  });
  show('Idempotent-Replayed', replay.res.headers.get('idempotent-replayed') ?? 'false');
  show('same body', JSON.stringify(first.body) === JSON.stringify(replay.body));
  await call(token, 'POST', '/analyze', {
    body: { text: 'Another text.' },
    headers: { 'Idempotency-Key': key },
    expect: 422,
  });
  show('RateLimit', first.res.headers.get('ratelimit') ?? '-');
  show('traceparent', first.res.headers.get('traceparent') ?? '-');
  const bad = await call(token, 'POST', '/analyze', { body: { text: 42 }, expect: 400 });
  show('problem+json', { type: bad.body.type, title: bad.body.title, errors: bad.body.errors?.length });
  const metrics = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${admin}` } });
  out(`-> GET /metrics  ${metrics.status}`);
  if (metrics.status === 200) {
    const lines = (await metrics.text()).split('\n').filter((l) => l.startsWith('cairn_request_cost_count'));
    show('cairn_request_cost_count', lines.slice(0, 3).join(' | ') || '(none yet)');
  } else show('metrics', 'served over OTLP on Workers (404 here)');
}

async function saas(token: string, admin: string) {
  section('5. SaaS core');
  const usage = await call(token, 'GET', '/usage');
  show('plan', usage.body.plan);
  for (const quota of usage.body.quotas ?? []) {
    show(
      quota.quota,
      `used ${quota.used} of ${quota.limit ?? 'unlimited'} (resets ${quota.resets_at ?? '-'})`,
    );
  }
  const created = await call(token, 'POST', '/me/api-keys', {
    body: { name: 'demo', scopes: ['model'] },
    expect: 201,
  });
  show('API key (shown once)', `${String(created.body.key).slice(0, 14)}...`);
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: created.body.key, maxRetries: 3 });
  const reply = await client.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'Hello with an API key.' }],
  });
  show('openai SDK with the key', reply.choices[0]?.message.content ?? '');
  await call(token, 'DELETE', `/me/api-keys/${created.body.id}`, { expect: 204 });
  await call(created.body.key, 'GET', '/me', { expect: 401 });
  show('revoked key', 'refused');
  const overview = await call(admin, 'GET', '/admin/overview?days=7');
  show('admin overview', { active_users: overview.body.active_users, totals: overview.body.totals });
  out(`   dashboard: ${base}/admin (sign in with an admin token)`);
}

try {
  out(`cairn demo against ${base}`);
  await call(undefined, 'GET', '/ready');
  const { user, admin } = await tokens();
  await gateway(user);
  await rag(user);
  await agents(user);
  await reliability(user, admin);
  await saas(user, admin);
  out('\nAll five capabilities answered.');
} catch (error) {
  if (error instanceof TypeError && /fetch failed/.test(error.message)) {
    console.error(`No cairn server answers at ${base}: start one with \`npm start\` (or pass --url).`);
  } else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
