import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import {
  agentRunSchema,
  approveRunRoute,
  createRunRoute,
  getRunRoute,
  listRunsRoute,
} from '../../../src/agents/runs/runs.routes.ts';
import { listToolsRoute } from '../../../src/agents/tools/tools.routes.ts';
import type { Problem } from '../../../src/http/problem.ts';
import { dataBlockText } from '../../../src/security/spotlight.ts';
import { CRAFTED_LIST_CURSORS } from '../../helpers/crafted-cursors.ts';
import { databaseKinds } from '../../helpers/databases.ts';
import { postJson, readBody, readJson } from '../../helpers/json-request.ts';
import { parseSseEvents } from '../../helpers/sse.ts';
import { useTestApp } from '../../helpers/test-app.ts';

// A fake JSON API the agent's http_request tool is allowed to call.
const api: Server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ path: req.url, rates: { EUR: 0.5 } }));
});
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
const apiHost = `127.0.0.1:${(api.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

const parseSse = (text: string) =>
  parseSseEvents(text).map((e) => ({ event: e.event, data: e.data as Record<string, unknown> }));

describe.each(databaseKinds)('agent runs against a scripted OpenAI-compatible model on %s', (kind) => {
  const t = useTestApp(kind, {
    openai: true,
    env: {
      AGENT_HTTP_ALLOWED_HOSTS: apiHost,
      LLM_MAX_RETRIES: '1',
      LLM_RETRY_BASE_DELAY_MS: '1',
      PRICE_OVERRIDES: JSON.stringify({ 'gpt-4o-mini': { input: 1000, output: 1000 } }),
    },
  });
  const run = (sub: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.as(sub, '/agent/runs', postJson(body, headers));
  const runBody = async (sub: string, body: Record<string, unknown>) =>
    readBody(await run(sub, body), createRunRoute, 200);
  const detail = async (sub: string, id: string) =>
    readBody(await t.as(sub, `/agent/runs/${id}`), getRunRoute, 200);
  const admin = (path: string, init?: RequestInit) => t.as('agent-admin', path, { ...init, role: 'admin' });

  it('blocks a tool outside the allowlist, audits it, and still answers', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('shell_exec', { cmd: 'id' })] },
      { kind: 'chat', content: 'Answered without a shell.' },
    );
    const body = await runBody('runs-allowlist', { input: 'Run id on the server' });
    expect(body).toMatchObject({
      status: 'finished',
      stop_reason: 'completed',
      answer: 'Answered without a shell.',
    });
    expect(body.steps[0]!.tool_calls).toEqual([
      expect.objectContaining({ tool: 'shell_exec', decision: 'blocked_allowlist', status: 'blocked' }),
    ]);
    // The model was never offered the tool, and was told the call was refused.
    const offered = (t.openai.requests[0]!.body!.tools as { function: { name: string } }[]).map(
      (x) => x.function.name,
    );
    expect(offered).not.toContain('shell_exec');
    const toolMessage = (t.openai.requests[1]!.body!.messages as { role: string; content: string }[]).at(-1)!;
    expect(toolMessage.role).toBe('tool');
    expect(JSON.parse(dataBlockText('tool_result', toolMessage.content)!)).toMatchObject({
      ok: false,
      error: { code: 'not_allowed' },
    });
    const audit = await readBody(await admin(`/admin/audit?run_id=${body.run_id}`), listAuditRoute, 200);
    expect(audit.items).toEqual([
      expect.objectContaining({
        tool: 'shell_exec',
        decision: 'blocked_allowlist',
        user_id: 'runs-allowlist',
      }),
    ]);
  });

  it('feeds validation errors back, and the corrected call runs', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('calculator', { expr: '6*7' })] },
      { kind: 'chat', toolCalls: [call('calculator', { expression: '6*7' })] },
      { kind: 'chat', content: '42' },
    );
    const body = await runBody('runs-validation', { input: 'What is six times seven?' });
    expect(body.answer).toBe('42');
    expect(body.steps.map((s) => s.tool_calls.map((c) => c.decision))).toEqual([
      ['blocked_validation'],
      ['executed'],
      [],
    ]);
    const fedBack = (t.openai.requests[1]!.body!.messages as { content: string }[]).at(-1)!.content;
    expect(JSON.parse(dataBlockText('tool_result', fedBack)!).error).toMatchObject({
      code: 'invalid_arguments',
      issues: expect.any(Array),
    });
    const trace = (await detail('runs-validation', body.run_id)).trace;
    expect(trace.map((e) => e.kind)).toEqual(['model', 'tool', 'model', 'tool', 'model']);
    expect(trace[3]!.detail).toMatchObject({
      tool: 'calculator',
      status: 'ok',
      result: expect.stringContaining('42'),
    });
  });

  it('stops asking for tools once validation retries are spent', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('calculator', {})] },
      { kind: 'chat', toolCalls: [call('calculator', {})] },
      { kind: 'chat', content: 'I could not use the calculator.' },
    );
    const body = await runBody('runs-retries', {
      input: 'Compute something',
      limits: { max_arg_retries: 1 },
    });
    expect(body.stop_reason).toBe('completed');
    expect(t.openai.requests[2]!.body!.tool_choice).toBe('none');
  });

  it('ends at the step cap with a graceful answer naming what was found', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('calculator', { expression: '2+2' })] },
      { kind: 'chat', toolCalls: [call('calculator', { expression: '3+3' })] },
    );
    const body = await runBody('runs-steps', { input: 'Keep calculating', limits: { max_steps: 2 } });
    expect(body).toMatchObject({ status: 'finished', stop_reason: 'max_steps' });
    expect(body.answer).toContain('step limit');
    expect(body.answer).toContain('3+3 = 6');
    expect(t.openai.requests).toHaveLength(2);
  });

  it('ends at the total timeout while the model hangs, with a 200', async () => {
    t.openai.script({ kind: 'hang' });
    const body = await runBody('runs-timeout', { input: 'Think forever', limits: { timeout_ms: 300 } });
    expect(body).toMatchObject({ status: 'finished', stop_reason: 'timeout' });
    expect(body.answer).toContain('time limit');
  });

  it('ends when the cost budget is spent', async () => {
    t.openai.script(
      {
        kind: 'chat',
        toolCalls: [call('calculator', { expression: '1+1' })],
        usage: { prompt: 1000, completion: 1000 },
      },
      { kind: 'chat', content: 'never asked' },
    );
    const body = await runBody('runs-budget', { input: 'Expensive task', limits: { max_cost_usd: 0.5 } });
    expect(body.stop_reason).toBe('budget');
    expect(body.usage.cost_usd).toBeGreaterThanOrEqual(0.5);
    expect(t.openai.requests).toHaveLength(1);
  });

  it('runs parallel calls and blocks those over the per-step cap', async () => {
    t.openai.script(
      {
        kind: 'chat',
        toolCalls: [
          call('calculator', { expression: '1+1' }),
          call('calculator', { expression: '2+2' }),
          call('calculator', { expression: '3+3' }),
        ],
      },
      { kind: 'chat', content: 'done' },
    );
    const body = await runBody('runs-parallel', {
      input: 'Three sums',
      limits: { max_tool_calls_per_step: 2 },
    });
    expect(body.steps[0]!.tool_calls.map((c) => c.decision)).toEqual([
      'executed',
      'executed',
      'blocked_limit',
    ]);
    const messages = t.openai.requests[1]!.body!.messages as { role: string; tool_call_id?: string }[];
    expect(messages.filter((m) => m.role === 'tool')).toHaveLength(3);
  });

  it('answers 200 with stop_reason error when the model keeps failing', async () => {
    t.openai.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const body = await runBody('runs-model-down', { input: 'Anything' });
    expect(body).toMatchObject({ status: 'finished', stop_reason: 'error' });
    expect(body.answer).toContain('model could not be reached');
  });

  it('delegates to a sub-agent whose trace is stored under the parent', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('delegate', { task: 'Compute 20+22', tools: ['calculator'] })] },
      { kind: 'chat', toolCalls: [call('calculator', { expression: '20+22' })] },
      { kind: 'chat', content: 'The sum is 42.' },
      { kind: 'chat', content: 'The sub-agent found 42.' },
    );
    const body = await runBody('runs-delegate', { input: 'Ask a helper for 20+22' });
    expect(body.answer).toBe('The sub-agent found 42.');
    expect(body.usage.model_calls).toBe(4);
    const run = await detail('runs-delegate', body.run_id);
    expect(run.sub_runs).toHaveLength(1);
    expect(run.sub_runs[0]).toMatchObject({
      depth: 1,
      parent_run_id: body.run_id,
      tools: ['calculator'],
      answer: 'The sum is 42.',
    });
    expect(run.trace.filter((e) => e.run_id === run.sub_runs[0]!.run_id).map((e) => e.kind)).toEqual([
      'model',
      'tool',
      'model',
    ]);
  });

  it('records a sub-run past the depth limit as max_depth without running it', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('delegate', { task: 'Go deeper' })] },
      { kind: 'chat', content: 'No helper was available.' },
    );
    const body = await runBody('runs-depth', { input: 'Delegate this', limits: { max_depth: 0 } });
    const run = await detail('runs-depth', body.run_id);
    expect(run.sub_runs[0]).toMatchObject({ stop_reason: 'max_depth', depth: 1 });
    expect(t.openai.requests).toHaveLength(2);
  });

  it('pauses for approval and continues once the owner approves', async () => {
    await admin('/admin/agents/ops', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        system_prompt: 'Ops agent.',
        tools: ['http_request', 'calculator'],
        approval_tools: ['http_request'],
      }),
    });
    t.openai.script(
      { kind: 'chat', toolCalls: [call('http_request', { url: `http://${apiHost}/rates` })] },
      { kind: 'chat', content: 'EUR is 0.5.' },
    );
    const paused = await runBody('runs-approve', { agent: 'ops', input: 'Fetch the rates' });
    expect(paused).toMatchObject({ status: 'awaiting_approval', stop_reason: null });
    expect(paused.pending_approval).toEqual([expect.objectContaining({ tool: 'http_request' })]);
    // Another user cannot decide on it.
    expect(
      (await t.as('runs-approve-mallory', `/agent/runs/${paused.run_id}/approve`, postJson({}))).status,
    ).toBe(404);
    const done = await readBody(
      await t.as('runs-approve', `/agent/runs/${paused.run_id}/approve`, postJson({})),
      approveRunRoute,
      200,
    );
    expect(done).toMatchObject({ status: 'finished', stop_reason: 'completed', answer: 'EUR is 0.5.' });
    expect(done.steps[0]!.tool_calls).toEqual([
      expect.objectContaining({ tool: 'http_request', decision: 'executed', status: 'ok' }),
    ]);
    const again = await t.as('runs-approve', `/agent/runs/${paused.run_id}/approve`, postJson({}));
    expect(again.status).toBe(409);
    const audit = await readBody(await admin(`/admin/audit?run_id=${paused.run_id}`), listAuditRoute, 200);
    expect(audit.items.map((a) => a.decision).sort()).toEqual(['awaiting_approval', 'executed']);
  });

  it("asks the upstream for the profile's model, one the gateway does not list", async () => {
    const res = await admin('/admin/agents/big-model', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ system_prompt: 'Careful.', tools: ['calculator'], model: 'gpt-4.1' }),
    });
    expect(res.status).toBe(201);
    t.openai.script({ kind: 'chat', content: 'fine' });
    const body = await runBody('runs-model', { agent: 'big-model', input: 'Hello' });
    expect(body.model).toBe('gpt-4.1');
    expect(t.openai.requests[0]!.body!.model).toBe('gpt-4.1');
  });

  it('ends with stop_reason rejected when the owner rejects', async () => {
    await admin('/admin/agents/ops2', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        system_prompt: 'Ops agent.',
        tools: ['http_request'],
        approval_tools: ['http_request'],
      }),
    });
    t.openai.script({
      kind: 'chat',
      toolCalls: [call('http_request', { url: `http://${apiHost}/x`, method: 'POST', json: { a: 1 } })],
    });
    const paused = await runBody('runs-reject', { agent: 'ops2', input: 'Post it' });
    const res = await t.as('runs-reject', `/agent/runs/${paused.run_id}/reject`, postJson({}));
    const done = agentRunSchema.parse(await res.json());
    expect(done).toMatchObject({ status: 'finished', stop_reason: 'rejected' });
    expect(done.answer).toContain('rejected http_request');
  });

  it('stores a model answer and arguments holding NUL or a lone surrogate, replaced', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('calculator', { expression: '1+1\u0000\ud800' })] },
      { kind: 'chat', content: 'two\u0000\udc00' },
    );
    const body = await runBody('runs-unstorable', { input: 'Odd characters' });
    expect(body).toMatchObject({ stop_reason: 'completed', answer: 'two\ufffd\ufffd' });
    const trace = (await detail('runs-unstorable', body.run_id)).trace;
    expect(trace[1]!.detail).toMatchObject({ arguments: { expression: '1+1\ufffd\ufffd' }, status: 'error' });
  });

  it('streams the run as SSE events', async () => {
    t.openai.script(
      { kind: 'chat', toolCalls: [call('calculator', { expression: '5*5' })] },
      { kind: 'chat', content: '25' },
    );
    const res = await run('runs-stream', { input: 'Five squared', stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'run',
      'model_decision',
      'tool_call',
      'tool_result',
      'model_decision',
      'final',
    ]);
    expect(events[3]!.data).toMatchObject({ tool: 'calculator', status: 'ok', result: { result: 25 } });
    expect(agentRunSchema.parse(events.at(-1)!.data)).toMatchObject({
      answer: '25',
      stop_reason: 'completed',
    });
  });

  it('replays a run for the same Idempotency-Key without running it again', async () => {
    t.openai.script({ kind: 'chat', content: 'once' });
    const headers = { 'idempotency-key': 'agent-run-once-1' };
    const first = await readBody(await run('runs-idem', { input: 'Say once' }, headers), createRunRoute, 200);
    const second = await run('runs-idem', { input: 'Say once' }, headers);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await readJson<{ run_id: string }>(second)).run_id).toBe(first.run_id);
    expect(t.openai.requests).toHaveLength(1);
  });

  it('refuses an unknown agent, limits above the profile and an oversized input', async () => {
    expect((await run('runs-bad', { agent: 'nobody', input: 'x' })).status).toBe(422);
    const above = await run('runs-bad', { input: 'x', limits: { max_steps: 1000 } });
    expect(above.status).toBe(422);
    expect((await readJson<Problem>(above)).errors?.[0]?.pointer).toBe('/body/limits/max_steps');
    expect((await run('runs-bad', { input: 'x'.repeat(8001) })).status).toBe(400);
    expect((await run('runs-bad', { input: '   ' })).status).toBe(400);
    expect((await run('runs-bad', { input: 'x', limits: { max_stepz: 1 } })).status).toBe(400);
    expect(t.openai.requests).toHaveLength(0);
  });

  it("lists only the caller's runs, newest first, and hides others' runs", async () => {
    t.openai.script({ kind: 'chat', content: 'a' }, { kind: 'chat', content: 'b' });
    const a = await runBody('runs-list', { input: 'first' });
    const b = await runBody('runs-list', { input: 'second' });
    const page1 = await readBody(await t.as('runs-list', '/agent/runs?limit=1'), listRunsRoute, 200);
    expect(page1.items.map((r) => r.run_id)).toEqual([b.run_id]);
    const page2 = await readBody(
      await t.as('runs-list', `/agent/runs?limit=1&cursor=${page1.next_cursor}`),
      listRunsRoute,
      200,
    );
    expect(page2.items.map((r) => r.run_id)).toEqual([a.run_id]);
    expect((await t.as('runs-list-other', `/agent/runs/${a.run_id}`)).status).toBe(404);
    const others = await readBody(await t.as('runs-list-other', '/agent/runs'), listRunsRoute, 200);
    expect(others.items).toEqual([]);
    for (const cursor of Object.values(CRAFTED_LIST_CURSORS)) {
      expect((await t.as('runs-list', `/agent/runs?cursor=${encodeURIComponent(cursor)}`)).status).toBe(400);
    }
  });

  it('lists the tools an agent offers, with their schemas', async () => {
    const body = await readBody(await t.as('runs-tools', '/agent/tools'), listToolsRoute, 200);
    expect(body.items.map((x) => x.name)).toEqual([
      'search_documents',
      'calculator',
      'http_request',
      'usage_summary',
      'document_info',
      'delegate',
    ]);
    const calculator = body.items.find((x) => x.name === 'calculator')!;
    expect(calculator.parameters).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['expression'],
    });
    expect((await t.as('runs-tools', '/agent/tools?agent=nobody')).status).toBe(404);
    expect((await t.as('runs-tools', '/agent/tools?agent=Bad Name')).status).toBe(400);
  });
});
