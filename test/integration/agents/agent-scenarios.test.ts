import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { putAgentProfileRoute } from '../../../src/agents/profiles/agents-admin.routes.ts';
import { createRunRoute, getRunRoute } from '../../../src/agents/runs/runs.routes.ts';
import { usageEvents } from '../../../src/db/tables/usage.ts';
import {
  type ChatBody,
  fedBack,
  lastResult,
  scriptedModel,
  startRatesApi,
  toolCall,
} from '../../helpers/agent-scenarios.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import { type TestApp, useTestApp } from '../../helpers/test-app.ts';

/*
 * The agent scenarios of the issue, end to end over HTTP, each twice: on the offline `local`
 * provider (its rule-based planner decides the calls) and on the fake OpenAI-compatible server
 * (a scripted model, some of whose turns read the tool results they were given). Each asserts the
 * answer, the stored trace (GET /agent/runs/{id}) and the audit rows (GET /admin/audit?run_id=).
 */

const rates = await startRatesApi();
afterAll(() => rates.close());

const PRICING =
  'Our plans are simple. The basic plan costs 9 dollars per month. The premium plan costs 49 dollars per month. Prices exclude tax.';
const REFUNDS = 'Refunds are issued within 14 days of a request. Contact support to start one.';
const PRICING_TASK =
  'According to my documents, what does the premium plan cost per year? Multiply the monthly price by 12.';
const USAGE_TASK = 'How much have I spent in the last 7 days, and what is my projected monthly cost?';
const NO_HTTP = 'scn-no-http';

type RunBody = Record<string, unknown>;
type RatesPath = Parameters<typeof rates.url>[0];

/** The agent API as one user sees it, and the audit log as an admin sees it. */
function agentApi(t: TestApp) {
  return {
    async run(sub: string, body: RunBody) {
      return readBody(await t.as(sub, '/agent/runs', postJson(body)), createRunRoute, 200);
    },
    async detail(sub: string, runId: string) {
      return readBody(await t.as(sub, `/agent/runs/${runId}`), getRunRoute, 200);
    },
    /** The run's audit rows, oldest first. */
    async audit(runId: string) {
      const res = await t.as('scn-auditor', `/admin/audit?run_id=${runId}&limit=100`, { role: 'admin' });
      return (await readBody(res, listAuditRoute, 200)).items.reverse();
    },
    /** A profile whose allowlist leaves out http_request. */
    async createNoHttpProfile() {
      const res = await t.as('scn-profile-admin', `/admin/agents/${NO_HTTP}`, {
        role: 'admin',
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          system_prompt: 'You answer from documents and arithmetic only; you have no web access.',
          tools: ['search_documents', 'calculator'],
        }),
      });
      return readBody(res, putAgentProfileRoute, 201);
    },
    /** Uploads a text document for `sub` and ingests it; returns its id. */
    async upload(sub: string, title: string, content: string) {
      const queued = await queueText(t, sub, { title, content });
      await drain(t);
      return queued.document_id;
    },
  };
}

type Detail = Awaited<ReturnType<ReturnType<typeof agentApi>['detail']>>;

/** The `tool` entries of a trace, as stored: tool, arguments, decision, status, result (JSON text) or error. */
const toolEntries = (detail: Detail, runId = detail.run_id) =>
  detail.trace
    .filter((e) => e.kind === 'tool' && e.run_id === runId)
    .map((e) => e.detail as { tool: string; arguments: unknown; decision: string; status: string } & RunBody);

const kinds = (detail: Detail, runId = detail.run_id) =>
  detail.trace.filter((e) => e.run_id === runId).map((e) => e.kind);

const auditShape = (rows: { tool: string; decision: string; status: string }[]) =>
  rows.map((r) => [r.tool, r.decision, r.status]);

describe.each(databaseKinds)('agent scenarios on the local provider on %s', (kind) => {
  // The fake API's endpoints time out on purpose, run after run: its host's breaker stays closed.
  const t = useTestApp(kind, {
    env: { AGENT_HTTP_ALLOWED_HOSTS: rates.host, AGENT_HTTP_BREAKER_THRESHOLD: '1000' },
  });
  const api = agentApi(t);
  // The rates service serves both databases' blocks: its URLs name the block too.
  const urlFor = (path: RatesPath, sub: string) => rates.url(path, `${kind}-${sub}`);

  it('1. searches the documents, then calculates from the number found there', async () => {
    const sub = 'scn-local-search-calc';
    const documentId = await api.upload(sub, 'Pricing', PRICING);
    const run = await api.run(sub, { input: PRICING_TASK });
    expect(run).toMatchObject({ status: 'finished', stop_reason: 'completed' });
    expect(run.steps.map((s) => s.tool_calls.map((c) => c.tool))).toEqual([
      ['search_documents'],
      ['calculator'],
      [],
    ]);
    expect(run.citations).toEqual([
      expect.objectContaining({ document_id: documentId, document_title: 'Pricing' }),
    ]);
    const chunkId = run.citations[0]!.chunk_id;
    expect(run.answer).toContain('49 * 12 = 588.');
    expect(run.answer).toContain(`The premium plan costs 49 dollars per month. [chunk ${chunkId}]`);

    const detail = await api.detail(sub, run.run_id);
    expect(kinds(detail)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    const [search, calculator] = toolEntries(detail);
    expect(search).toMatchObject({ tool: 'search_documents', status: 'ok' });
    expect(search!.result).toContain('49 dollars per month');
    expect(calculator).toMatchObject({
      tool: 'calculator',
      arguments: { expression: '49 * 12' },
      status: 'ok',
    });
    expect(JSON.parse(String(calculator!.result))).toEqual({ expression: '49 * 12', result: 588 });

    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['search_documents', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
    expect(audit.map((a) => [a.user_id, a.step])).toEqual([
      [sub, 1],
      [sub, 2],
    ]);
  });

  it('2. calls the external API, then converts with the rate it returned', async () => {
    const sub = 'scn-local-convert';
    const url = urlFor('/rates', sub);
    const run = await api.run(sub, { input: `Convert 100 USD to EUR using the rates at ${url}` });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toContain('100 * 0.92 = 92.');
    expect(run.answer).toContain('EUR = 0.92');
    expect(rates.hits(url)).toBe(1);

    const [http, calculator] = toolEntries(await api.detail(sub, run.run_id));
    expect(http).toMatchObject({ tool: 'http_request', arguments: { url }, status: 'ok' });
    expect(JSON.parse(String(http!.result))).toMatchObject({ status: 200, body: { rates: { EUR: 0.92 } } });
    expect(calculator).toMatchObject({ arguments: { expression: '100 * 0.92' }, status: 'ok' });
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['http_request', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('3. reads the usage summary, then projects the monthly cost', async () => {
    const sub = 'scn-local-usage';
    // The local model is free, so the run's own calls add nothing to the $0.42 seeded here.
    await t.deps.db.insert(usageEvents).values({
      createdAt: t.deps.now(),
      requestId: 'scn-seed',
      userId: sub,
      route: '/v1/chat/completions',
      provider: 'openai',
      model: 'gpt-4o-mini',
      operation: 'chat',
      tokensIn: 1000,
      tokensOut: 500,
      costUsd: '0.42',
      priced: true,
      latencyMs: 120,
      attempts: 1,
      status: 'ok',
    });
    const run = await api.run(sub, { input: USAGE_TASK });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toContain('0.42 / 7 * 30 = 1.8.');
    expect(run.answer).toContain('$0.42 spent');

    const [usage, calculator] = toolEntries(await api.detail(sub, run.run_id));
    expect(usage).toMatchObject({ tool: 'usage_summary', arguments: { days: 7 }, status: 'ok' });
    expect(JSON.parse(String(usage!.result))).toMatchObject({ days: 7, cost_usd: 0.42 });
    expect(calculator).toMatchObject({ arguments: { expression: '0.42 / 7 * 30' }, status: 'ok' });
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['usage_summary', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('4. answers from the search when the external API fails or times out, naming what failed', async () => {
    const sub = 'scn-local-partial';
    await api.upload(sub, 'Refund policy', REFUNDS);
    const [hang, fail] = [urlFor('/hang', sub), urlFor('/fail', sub)];
    const run = await api.run(sub, {
      input: `Search my notes for the refund policy and check ${hang} and ${fail}`,
      limits: { tool_timeout_ms: 1000 },
    });
    expect(run.stop_reason).toBe('completed');
    // One step, three calls in parallel.
    expect(run.steps[0]!.tool_calls.map((c) => [c.tool, c.status])).toEqual([
      ['search_documents', 'ok'],
      ['http_request', 'timeout'],
      ['http_request', 'ok'],
    ]);
    const chunkId = run.citations[0]!.chunk_id;
    expect(run.answer).toContain(`Refunds are issued within 14 days of a request. [chunk ${chunkId}]`);
    expect(run.answer).toContain('http_request failed (timeout).');
    expect(run.answer).toContain(`${fail} answered with status 500.`);

    const entries = toolEntries(await api.detail(sub, run.run_id));
    expect(entries[1]).toMatchObject({
      arguments: { url: hang },
      status: 'timeout',
      error: { code: 'timeout' },
    });
    // An HTTP error status is a result the tool returns, not a failed call.
    expect(JSON.parse(String(entries[2]!.result))).toMatchObject({ status: 500 });
    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['search_documents', 'executed', 'ok'],
      ['http_request', 'executed', 'timeout'],
      ['http_request', 'executed', 'ok'],
    ]);
    expect(audit[1]!.error).toMatch(/^timeout: /);
  });

  it('5. never calls a tool its profile leaves out, and still answers', async () => {
    const sub = 'scn-local-allowlist';
    await api.createNoHttpProfile();
    const url = urlFor('/rates', sub);
    const run = await api.run(sub, { agent: NO_HTTP, input: `Fetch ${url} and calculate 6*7` });
    expect(run).toMatchObject({ stop_reason: 'completed', tools: ['search_documents', 'calculator'] });
    expect(run.answer).toBe('6*7 = 42.');
    expect(run.steps.flatMap((s) => s.tool_calls.map((c) => c.tool))).toEqual(['calculator']);
    expect(rates.hits(url)).toBe(0);
    expect(toolEntries(await api.detail(sub, run.run_id)).map((e) => e.tool)).toEqual(['calculator']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['calculator', 'executed', 'ok']]);
  });

  it('6. retries a call refused for invalid arguments with corrected ones', async () => {
    const sub = 'scn-local-invalid';
    const run = await api.run(sub, { input: 'How much did I spend in the last 500 days?' });
    expect(run.stop_reason).toBe('completed');
    expect(run.steps.map((s) => s.tool_calls.map((c) => c.decision))).toEqual([
      ['blocked_validation'],
      ['executed'],
      [],
    ]);
    expect(run.answer).toContain('Usage over the last 366 days');
    expect(run.answer).not.toContain('failed');

    const [refused, corrected] = toolEntries(await api.detail(sub, run.run_id));
    expect(refused).toMatchObject({
      tool: 'usage_summary',
      arguments: { days: 500 },
      decision: 'blocked_validation',
      status: 'blocked',
      error: { code: 'invalid_arguments', issues: [expect.objectContaining({ path: '/days' })] },
    });
    expect(corrected).toMatchObject({ arguments: { days: 366 }, decision: 'executed', status: 'ok' });
    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['usage_summary', 'blocked_validation', 'blocked'],
      ['usage_summary', 'executed', 'ok'],
    ]);
    expect(audit[0]!.error).toMatch(/^invalid_arguments: /);
  });

  it('7a. stops at the step cap with a graceful answer', async () => {
    const sub = 'scn-local-steps';
    const url = urlFor('/rates', sub);
    const run = await api.run(sub, {
      input: `Convert 100 USD to EUR using the rates at ${url}`,
      limits: { max_steps: 1 },
    });
    expect(run).toMatchObject({ status: 'finished', stop_reason: 'max_steps' });
    expect(run.answer).toContain('step limit');
    expect(run.answer).toContain('"EUR":0.92');
    expect(kinds(await api.detail(sub, run.run_id))).toEqual(['model', 'tool']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['http_request', 'executed', 'ok']]);
  });

  const TIMEOUT_TASK = (hang: string) => `Calculate 6*7 and fetch ${hang}`;
  // Below the 10 s tool timeout, so the run's deadline is what stops the fetch.
  const TIMEOUT_MS = 600;

  it('7b. answers 200 when a tool never answers past the total timeout, naming what failed', async () => {
    const sub = 'scn-local-timeout';
    const hang = urlFor('/hang', sub);
    const run = await api.run(sub, { input: TIMEOUT_TASK(hang), limits: { timeout_ms: TIMEOUT_MS } });
    // stop_reason is asserted in the test below: today it is `timeout` or `completed` at random.
    expect(run.status).toBe('finished');
    expect(run.active_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
    expect(run.answer).toContain('6*7 = 42');
    expect(run.answer).toContain('http_request failed (timeout)');
    expect(rates.hits(hang)).toBe(1);
    expect(kinds(await api.detail(sub, run.run_id)).slice(0, 3)).toEqual(['model', 'tool', 'tool']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['calculator', 'executed', 'ok'],
      ['http_request', 'executed', 'timeout'],
    ]);
  });

  // A tool's own timer and the run's deadline fall due at the same instant: whichever fires
  // first, the run must end `timeout`. Eight runs make a race between them all but certain to show.
  it('7b. ends with stop_reason timeout, every time, when a tool runs into the deadline', async () => {
    const sub = 'scn-local-timeout-repeat';
    const runs = [];
    for (let i = 0; i < 8; i++) {
      const input = TIMEOUT_TASK(urlFor('/hang', `${sub}-${i}`));
      runs.push(await api.run(sub, { input, limits: { timeout_ms: TIMEOUT_MS } }));
    }
    expect(runs.map((r) => r.stop_reason)).toEqual(Array(8).fill('timeout'));
    for (const run of runs) {
      expect(run.answer).toContain('time limit');
      expect(run.answer).toContain('calculator: 6*7 = 42');
      expect(run.steps).toHaveLength(1);
    }
  });

  it('8a. delegates to a sub-agent and answers with what it found', async () => {
    const sub = 'scn-local-delegate';
    const run = await api.run(sub, { input: 'Delegate to a helper: what is 6*7?' });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toBe('The sub-agent answered: 6*7 = 42.');

    const detail = await api.detail(sub, run.run_id);
    const child = detail.sub_runs[0]!;
    expect(detail.sub_runs).toHaveLength(1);
    expect(child).toMatchObject({
      parent_run_id: run.run_id,
      depth: 1,
      input: 'what is 6*7?',
      stop_reason: 'completed',
      answer: '6*7 = 42.',
    });
    expect(toolEntries(detail)).toEqual([
      expect.objectContaining({ tool: 'delegate', arguments: { task: 'what is 6*7?' }, status: 'ok' }),
    ]);
    expect(kinds(detail, child.run_id)).toEqual(['model', 'tool', 'model']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['delegate', 'executed', 'ok']]);
    expect(auditShape(await api.audit(child.run_id))).toEqual([['calculator', 'executed', 'ok']]);
  });

  it('8b. records a sub-run past the depth limit as max_depth, without running it', async () => {
    const sub = 'scn-local-depth';
    const run = await api.run(sub, {
      input: 'Delegate to a helper: what is 6*7?',
      limits: { max_depth: 0 },
    });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toContain('The sub-agent answered: The delegation depth limit was reached');

    const detail = await api.detail(sub, run.run_id);
    const child = detail.sub_runs[0]!;
    expect(child).toMatchObject({ depth: 1, stop_reason: 'max_depth', steps: [] });
    expect(kinds(detail, child.run_id)).toEqual([]);
    expect(JSON.parse(String(toolEntries(detail)[0]!.result))).toMatchObject({ stop_reason: 'max_depth' });
    expect(auditShape(await api.audit(run.run_id))).toEqual([['delegate', 'executed', 'ok']]);
    expect(await api.audit(child.run_id)).toEqual([]);
  });
});

describe.each(databaseKinds)('agent scenarios on a scripted OpenAI-compatible model on %s', (kind) => {
  const model = scriptedModel();
  const t = useTestApp(kind, {
    openai: { defaultReply: model.defaultReply },
    env: {
      AGENT_HTTP_ALLOWED_HOSTS: rates.host,
      // 10 prompt and 5 completion tokens a call (the fake's usage): $0.015 a call.
      PRICE_OVERRIDES: JSON.stringify({ 'gpt-4o-mini': { input: 1000, output: 1000 } }),
      // At these prices one request's estimate (16,384 output tokens) exceeds the free plan's $5.
      QUOTA_ENFORCEMENT: 'off',
    },
  });
  const api = agentApi(t);
  const urlFor = (path: RatesPath, sub: string) => rates.url(path, `${kind}-${sub}`);
  beforeEach(() => model.reset());
  afterEach(() => {
    expect(model.pending(), 'scripted model turns left unused').toBe(0);
  });

  /** The chat requests the model received, in order (embedding requests left out). */
  const chats = () =>
    t.openai.requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => r.body as unknown as ChatBody);

  it('1. searches the documents, then calculates from the number found there', async () => {
    const sub = 'scn-fake-search-calc';
    const documentId = await api.upload(sub, 'Pricing', PRICING);
    let cited = 0;
    model.script(
      {
        kind: 'chat',
        content: null,
        toolCalls: [toolCall('search_documents', { query: 'premium plan price' })],
      },
      (body) => {
        const hits = lastResult(body, 'search_documents').result!.results as {
          chunk_id: number;
          text: string;
        }[];
        const hit = hits.find((h) => /premium plan costs \d+/.test(h.text))!;
        cited = hit.chunk_id;
        const monthly = /premium plan costs (\d+)/.exec(hit.text)![1];
        return {
          kind: 'chat',
          content: null,
          toolCalls: [toolCall('calculator', { expression: `${monthly} * 12` })],
        };
      },
      (body) => ({
        kind: 'chat',
        content: `The premium plan costs ${lastResult(body, 'calculator').result!.result} dollars per year [chunk ${cited}].`,
      }),
    );
    const run = await api.run(sub, { input: PRICING_TASK });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toBe(`The premium plan costs 588 dollars per year [chunk ${cited}].`);
    expect(run.citations).toEqual([expect.objectContaining({ chunk_id: cited, document_id: documentId })]);
    expect(chats()).toHaveLength(3);

    const detail = await api.detail(sub, run.run_id);
    expect(kinds(detail)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    expect(toolEntries(detail)[1]).toMatchObject({ arguments: { expression: '49 * 12' }, status: 'ok' });
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['search_documents', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('2. calls the external API, then converts with the rate it returned', async () => {
    const sub = 'scn-fake-convert';
    const url = urlFor('/rates', sub);
    model.script(
      { kind: 'chat', content: null, toolCalls: [toolCall('http_request', { url })] },
      (body) => {
        const rate = (lastResult(body, 'http_request').result!.body as { rates: { EUR: number } }).rates.EUR;
        return {
          kind: 'chat',
          content: null,
          toolCalls: [toolCall('calculator', { expression: `100 * ${rate}` })],
        };
      },
      (body) => {
        const eur = Number(lastResult(body, 'calculator').result!.result).toFixed(2);
        return { kind: 'chat', content: `100 USD is ${eur} EUR.` };
      },
    );
    const run = await api.run(sub, { input: `Convert 100 USD to EUR using the rates at ${url}` });
    expect(run).toMatchObject({ stop_reason: 'completed', answer: '100 USD is 92.00 EUR.' });
    expect(rates.hits(url)).toBe(1);

    const [http, calculator] = toolEntries(await api.detail(sub, run.run_id));
    expect(http).toMatchObject({ tool: 'http_request', arguments: { url }, status: 'ok' });
    expect(calculator).toMatchObject({ arguments: { expression: '100 * 0.92' }, status: 'ok' });
    expect(JSON.parse(String(calculator!.result)).result).toBeCloseTo(92, 10);
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['http_request', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('3. reads the usage summary, then projects the monthly cost', async () => {
    const sub = 'scn-fake-usage';
    // A real model call through the gateway: $0.015 of usage for this user.
    model.script({ kind: 'chat', content: 'Hello.' });
    const seeded = await t.as(
      sub,
      '/v1/chat/completions',
      postJson({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    );
    expect(seeded.status).toBe(200);
    await t.deps.usage.flush();
    model.script(
      { kind: 'chat', content: null, toolCalls: [toolCall('usage_summary', { days: 7 })] },
      (body) => {
        const cost = lastResult(body, 'usage_summary').result!.cost_usd;
        return {
          kind: 'chat',
          content: null,
          toolCalls: [toolCall('calculator', { expression: `${cost} / 7 * 30` })],
        };
      },
      (body) => ({
        kind: 'chat',
        content: `Projected monthly cost: $${Number(lastResult(body, 'calculator').result!.result).toFixed(2)}.`,
      }),
    );
    const run = await api.run(sub, { input: USAGE_TASK });
    expect(run.stop_reason).toBe('completed');
    // The seeded call and the run's own first call, $0.015 each: 0.03 / 7 * 30 = 0.1286.
    expect(run.answer).toBe('Projected monthly cost: $0.13.');
    const [usage, calculator] = toolEntries(await api.detail(sub, run.run_id));
    expect(JSON.parse(String(usage!.result))).toMatchObject({ days: 7, cost_usd: 0.03 });
    expect(calculator).toMatchObject({ arguments: { expression: '0.03 / 7 * 30' }, status: 'ok' });
    expect(auditShape(await api.audit(run.run_id))).toEqual([
      ['usage_summary', 'executed', 'ok'],
      ['calculator', 'executed', 'ok'],
    ]);
  });

  it('4. answers from the search when the external API fails or times out, naming what failed', async () => {
    const sub = 'scn-fake-partial';
    await api.upload(sub, 'Refund policy', REFUNDS);
    const [hang, fail] = [urlFor('/hang', sub), urlFor('/fail', sub)];
    model.script(
      {
        kind: 'chat',
        content: null,
        toolCalls: [
          toolCall('search_documents', { query: 'refund policy' }),
          toolCall('http_request', { url: hang }),
          toolCall('http_request', { url: fail }),
        ],
      },
      (body) => {
        const [search, slow, down] = fedBack(body);
        const hit = (search!.result!.results as { chunk_id: number; text: string }[])[0]!;
        const status = (down!.result as { status: number }).status;
        return {
          kind: 'chat',
          content: `${hit.text} [chunk ${hit.chunk_id}] The status check failed (${slow!.error!.code}); the other API answered ${status}.`,
        };
      },
    );
    const run = await api.run(sub, {
      input: `Search my notes for the refund policy and check ${hang} and ${fail}`,
      limits: { tool_timeout_ms: 1000 },
    });
    expect(run.stop_reason).toBe('completed');
    expect(run.answer).toContain(REFUNDS);
    expect(run.answer).toContain('failed (timeout); the other API answered 500.');
    // The three calls of one step.
    expect(run.steps[0]!.tool_calls.map((c) => [c.tool, c.decision, c.status])).toEqual([
      ['search_documents', 'executed', 'ok'],
      ['http_request', 'executed', 'timeout'],
      ['http_request', 'executed', 'ok'],
    ]);
    // What the model was given: the search result, and each failure as a structured error.
    expect(fedBack(chats()[1]!).map((r) => [r.tool, r.ok, r.error?.code])).toEqual([
      ['search_documents', true, undefined],
      ['http_request', false, 'timeout'],
      ['http_request', true, undefined],
    ]);

    const entries = toolEntries(await api.detail(sub, run.run_id));
    expect(entries[1]).toMatchObject({
      arguments: { url: hang },
      status: 'timeout',
      error: { code: 'timeout' },
    });
    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['search_documents', 'executed', 'ok'],
      ['http_request', 'executed', 'timeout'],
      ['http_request', 'executed', 'ok'],
    ]);
    expect(audit[1]!.error).toMatch(/^timeout: /);
  });

  it('5. blocks a tool call outside the allowlist, audits it, and still answers', async () => {
    const sub = 'scn-fake-allowlist';
    await api.createNoHttpProfile();
    const url = urlFor('/rates', sub);
    model.script(
      {
        kind: 'chat',
        content: null,
        toolCalls: [toolCall('http_request', { url }), toolCall('calculator', { expression: '6*7' })],
      },
      (body) => {
        const [refused, product] = fedBack(body);
        return {
          kind: 'chat',
          content: `6*7 = ${product!.result!.result}; I could not fetch the rates (${refused!.error!.code}).`,
        };
      },
    );
    const run = await api.run(sub, { agent: NO_HTTP, input: `Fetch ${url} and calculate 6*7` });
    expect(run).toMatchObject({
      stop_reason: 'completed',
      answer: '6*7 = 42; I could not fetch the rates (not_allowed).',
    });
    expect(run.steps[0]!.tool_calls.map((c) => [c.tool, c.decision, c.status])).toEqual([
      ['http_request', 'blocked_allowlist', 'blocked'],
      ['calculator', 'executed', 'ok'],
    ]);
    expect(rates.hits(url)).toBe(0);
    // The model was never offered the tool.
    expect(chats()[0]!.tools!.map((x) => x.function.name)).toEqual(['search_documents', 'calculator']);

    expect(toolEntries(await api.detail(sub, run.run_id))[0]).toMatchObject({
      tool: 'http_request',
      arguments: { url },
      decision: 'blocked_allowlist',
      error: { code: 'not_allowed' },
    });
    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['http_request', 'blocked_allowlist', 'blocked'],
      ['calculator', 'executed', 'ok'],
    ]);
    expect(audit[0]).toMatchObject({ user_id: sub, arguments: { url }, latency_ms: 0, result_bytes: 0 });
  });

  it('6. feeds invalid arguments back, and the corrected call runs', async () => {
    const sub = 'scn-fake-invalid';
    model.script(
      { kind: 'chat', content: null, toolCalls: [toolCall('usage_summary', { days: 500 })] },
      (body) => {
        // The model reads the bound from the error it was given.
        const issue = lastResult(body, 'usage_summary').error!.issues!.find((i) => i.path === '/days')!;
        const max = Number(/(\d+)\s*$/.exec(issue.message)![1]);
        return { kind: 'chat', content: null, toolCalls: [toolCall('usage_summary', { days: max })] };
      },
      (body) => ({
        kind: 'chat',
        content: `Over the last ${lastResult(body, 'usage_summary').result!.days} days you spent $0.`,
      }),
    );
    const run = await api.run(sub, { input: 'How much did I spend in the last 500 days?' });
    expect(run).toMatchObject({ stop_reason: 'completed', answer: 'Over the last 366 days you spent $0.' });
    expect(run.steps.map((s) => s.tool_calls.map((c) => c.decision))).toEqual([
      ['blocked_validation'],
      ['executed'],
      [],
    ]);
    expect(lastResult(chats()[1]!, 'usage_summary')).toMatchObject({
      ok: false,
      error: { code: 'invalid_arguments', issues: [expect.objectContaining({ path: '/days' })] },
    });

    const [refused, corrected] = toolEntries(await api.detail(sub, run.run_id));
    expect(refused).toMatchObject({
      arguments: { days: 500 },
      decision: 'blocked_validation',
      status: 'blocked',
    });
    expect(corrected).toMatchObject({ arguments: { days: 366 }, decision: 'executed', status: 'ok' });
    const audit = await api.audit(run.run_id);
    expect(auditShape(audit)).toEqual([
      ['usage_summary', 'blocked_validation', 'blocked'],
      ['usage_summary', 'executed', 'ok'],
    ]);
    expect(audit[0]!.error).toMatch(/^invalid_arguments: /);
  });

  it('7a. stops at the step cap with a graceful answer', async () => {
    const sub = 'scn-fake-steps';
    const url = urlFor('/rates', sub);
    // The model would go on to the calculator: it is never asked.
    model.script({ kind: 'chat', content: null, toolCalls: [toolCall('http_request', { url })] });
    const run = await api.run(sub, {
      input: `Convert 100 USD to EUR using the rates at ${url}`,
      limits: { max_steps: 1 },
    });
    expect(run).toMatchObject({ status: 'finished', stop_reason: 'max_steps' });
    expect(run.answer).toContain('step limit');
    expect(run.answer).toContain('"EUR":0.92');
    expect(chats()).toHaveLength(1);
    expect(kinds(await api.detail(sub, run.run_id))).toEqual(['model', 'tool']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['http_request', 'executed', 'ok']]);
  });

  it('7b. stops at the total timeout while the model hangs, with a 200', async () => {
    const sub = 'scn-fake-timeout';
    model.script(
      { kind: 'chat', content: null, toolCalls: [toolCall('calculator', { expression: '6*7' })] },
      { kind: 'hang' },
    );
    const run = await api.run(sub, {
      input: 'Calculate 6*7, then think forever',
      // Below LLM_TIMEOUT_MS (400 in openAiEnv): the run's deadline, not the call's own timeout, ends it.
      limits: { timeout_ms: 300 },
    });
    expect(run).toMatchObject({ status: 'finished', stop_reason: 'timeout' });
    expect(run.answer).toContain('time limit');
    expect(run.answer).toContain('calculator: 6*7 = 42');
    // The hung model call never answered, so it left no model entry.
    expect(kinds(await api.detail(sub, run.run_id))).toEqual(['model', 'tool']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['calculator', 'executed', 'ok']]);
  });

  it('8a. delegates to a sub-agent and answers with what it found', async () => {
    const sub = 'scn-fake-delegate';
    model.script(
      {
        kind: 'chat',
        content: null,
        toolCalls: [toolCall('delegate', { task: 'What is 6*7?', tools: ['calculator'] })],
      },
      // The sub-agent's turns.
      { kind: 'chat', content: null, toolCalls: [toolCall('calculator', { expression: '6*7' })] },
      (body) => ({ kind: 'chat', content: `${lastResult(body, 'calculator').result!.result}` }),
      // The parent again, reading the sub-agent's answer.
      (body) => ({
        kind: 'chat',
        content: `The helper says ${lastResult(body, 'delegate').result!.answer}.`,
      }),
    );
    const run = await api.run(sub, { input: 'Delegate to a helper: what is 6*7?' });
    expect(run).toMatchObject({ stop_reason: 'completed', answer: 'The helper says 42.' });
    expect(run.usage.model_calls).toBe(4);

    const detail = await api.detail(sub, run.run_id);
    const child = detail.sub_runs[0]!;
    expect(child).toMatchObject({
      parent_run_id: run.run_id,
      depth: 1,
      input: 'What is 6*7?',
      tools: ['calculator'],
      stop_reason: 'completed',
      answer: '42',
    });
    expect(lastResult(chats()[3]!, 'delegate').result).toEqual({
      run_id: child.run_id,
      answer: '42',
      stop_reason: 'completed',
    });
    // The sub-agent was offered only the tools it was given.
    expect(chats()[1]!.tools!.map((x) => x.function.name)).toEqual(['calculator']);
    expect(kinds(detail)).toEqual(['model', 'tool', 'model']);
    expect(kinds(detail, child.run_id)).toEqual(['model', 'tool', 'model']);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['delegate', 'executed', 'ok']]);
    expect(auditShape(await api.audit(child.run_id))).toEqual([['calculator', 'executed', 'ok']]);
  });

  it('8b. records a sub-run past the depth limit as max_depth, without running it', async () => {
    const sub = 'scn-fake-depth';
    model.script(
      { kind: 'chat', content: null, toolCalls: [toolCall('delegate', { task: 'What is 6*7?' })] },
      (body) => ({
        kind: 'chat',
        content: `No helper was available (${lastResult(body, 'delegate').result!.stop_reason}).`,
      }),
    );
    const run = await api.run(sub, { input: 'Delegate to a helper: what is 6*7?', limits: { max_depth: 0 } });
    expect(run).toMatchObject({ stop_reason: 'completed', answer: 'No helper was available (max_depth).' });
    // The sub-run made no model call.
    expect(chats()).toHaveLength(2);

    const detail = await api.detail(sub, run.run_id);
    const child = detail.sub_runs[0]!;
    expect(child).toMatchObject({ depth: 1, stop_reason: 'max_depth', steps: [] });
    expect(child.answer).toContain('depth limit');
    expect(kinds(detail, child.run_id)).toEqual([]);
    expect(auditShape(await api.audit(run.run_id))).toEqual([['delegate', 'executed', 'ok']]);
    expect(await api.audit(child.run_id)).toEqual([]);
  });
});
