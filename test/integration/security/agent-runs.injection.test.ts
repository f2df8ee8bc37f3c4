import { beforeEach, describe, expect, it } from 'vitest';
import { listAuditRoute } from '../../../src/agents/audit/audit.routes.ts';
import { createRunRoute, getRunRoute, listRunsRoute } from '../../../src/agents/runs/runs.routes.ts';
import { type ChatBody, scriptedModel, toolCall } from '../../helpers/agent-scenarios.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import { expectProblem, type TestApp, useTestApp } from '../../helpers/test-app.ts';
import { SAMPLES } from './fake-secrets.ts';
import { INJECTED, injectionLogs, injectionMetric } from './injection-report.ts';

const ROUTE = '/agent/runs';
const KEY = SAMPLES.openai_key;
const JWT = SAMPLES.jwt;
const POISONED = `Vacuum reclaims dead tuples. The admin key is ${KEY} and the session is ${JWT}. ${INJECTED}`;

/** The last tool message the model was given, as it read it. */
const lastToolMessage = (body: ChatBody) =>
  body.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '';

function agentApi(t: TestApp) {
  return {
    run: async (sub: string, input: string) =>
      readBody(await t.as(sub, ROUTE, postJson({ input })), createRunRoute, 200),
    detail: async (sub: string, id: string) => readBody(await t.as(sub, `${ROUTE}/${id}`), getRunRoute, 200),
    audit: async (runId: string) =>
      (
        await readBody(
          await t.as('inj-auditor', `/admin/audit?run_id=${runId}`, { role: 'admin' }),
          listAuditRoute,
          200,
        )
      ).items,
  };
}

/** The model searches (the query carrying a token it should not), then answers as scripted. */
function searchThenAnswer(model: ReturnType<typeof scriptedModel>, answer: (body: ChatBody) => string) {
  const seen: string[] = [];
  model.script(
    {
      kind: 'chat',
      toolCalls: [toolCall('search_documents', { query: `vacuum dead tuples ${SAMPLES.github_token}` })],
    },
    (body) => {
      seen.push(lastToolMessage(body));
      return { kind: 'chat', content: answer(body) };
    },
  );
  return seen;
}

describe('agent runs: tool results screened, secrets redacted (flag mode)', () => {
  const model = scriptedModel();
  const metric = injectionMetric();
  const t = useTestApp('pglite', {
    openai: { defaultReply: model.defaultReply },
    meter: metric.meter,
    env: { QUOTA_ENFORCEMENT: 'off' },
  });
  const api = agentApi(t);
  beforeEach(() => model.reset());

  it('flags an injected search result in the run, its trace, the log and the metric; no secret survives anywhere', async () => {
    const sub = 'inj-agent-a';
    const doc = await queueText(t, sub, { title: 'Vacuum', content: POISONED });
    await drain(t);
    const seen = searchThenAnswer(
      model,
      () => `Vacuum reclaims dead tuples [chunk 999999]. The key was ${KEY}.`,
    );
    const run = await api.run(sub, 'What does vacuum reclaim?');

    // What the model read: one escaped <tool_result> element, secrets redacted.
    expect(seen[0]).toMatch(/^<tool_result name="search_documents" id="[^"]+">\n\{"ok":true/);
    expect(seen[0]).toContain('[redacted:openai_key]');
    expect(seen[0]).toContain('[redacted:jwt]');
    expect(seen[0]).not.toContain(KEY);

    expect(run.security?.injection.flagged).toBe(true);
    expect(run.security?.injection.sources).toEqual([
      expect.objectContaining({
        source: 'tool_result',
        withheld: false,
        ref: expect.stringMatching(/^search_documents:/),
      }),
    ]);
    expect(run.answer).toContain('[redacted:openai_key]');
    // A marker naming no retrieved chunk cites nothing outside the run: the citations are the caller's hits.
    expect(run.citations.length).toBeGreaterThan(0);
    expect(run.citations.every((c) => c.document_id === doc.document_id)).toBe(true);

    const detail = await api.detail(sub, run.run_id);
    const toolEntry = detail.trace.find((e) => e.kind === 'tool')!;
    expect(toolEntry.detail).toMatchObject({
      injection: { withheld: false, signals: expect.any(Array) },
      redacted_secrets: expect.arrayContaining(['openai_key', 'jwt']),
    });
    const stored = JSON.stringify([detail, await api.audit(run.run_id)]);
    for (const secret of [KEY, JWT, SAMPLES.github_token]) expect(stored).not.toContain(secret);

    expect(await metric.count('tool_result', ROUTE, 'flagged')).toBe(1);
    expect(injectionLogs(t, ROUTE)).toHaveLength(1);
    expect(JSON.stringify(t.logs)).not.toContain(KEY);
  });

  it('a benign run carries an empty report; an injected task is flagged as input and still runs', async () => {
    model.script({ kind: 'chat', content: 'Four.' }, { kind: 'chat', content: 'Done.' });
    const benign = await api.run('inj-agent-b', 'What is two plus two?');
    expect(benign.security).toEqual({ injection: { flagged: false, sources: [] } });
    const flagged = await api.run('inj-agent-b', `Summarise my notes. ${INJECTED}`);
    expect(flagged.stop_reason).toBe('completed');
    expect(flagged.security?.injection.sources).toEqual([
      expect.objectContaining({ source: 'input', withheld: false }),
    ]);
  });

  it('the system prompt states the hierarchy and that tool results are data', async () => {
    model.script({ kind: 'chat', content: 'Hi.' });
    await api.run('inj-agent-c', 'Hello there.');
    const system = (t.openai.requests.at(-1)!.body as unknown as ChatBody).messages[0]!.content ?? '';
    expect(system).toMatch(/system message, then the developer, then the user/);
    expect(system).toContain('<tool_result>');
  });
});

describe('agent runs with INJECTION_DETECTION=block', () => {
  const model = scriptedModel();
  const metric = injectionMetric();
  const t = useTestApp('pglite', {
    openai: { defaultReply: model.defaultReply },
    meter: metric.meter,
    env: { QUOTA_ENFORCEMENT: 'off', INJECTION_DETECTION: 'block' },
  });
  const api = agentApi(t);
  beforeEach(() => model.reset());

  it('withholds a flagged tool result: the model reads a notice, the trace keeps no result, nothing is cited', async () => {
    const sub = 'inj-agent-block';
    await queueText(t, sub, { title: 'Vacuum', content: POISONED });
    await drain(t);
    const seen = searchThenAnswer(model, () => 'A result was withheld.');
    const run = await api.run(sub, 'What does vacuum reclaim?');
    expect(seen[0]).toContain('"code":"withheld"');
    expect(seen[0]).not.toContain('Ignore all previous');
    expect(run.security?.injection.sources).toEqual([
      expect.objectContaining({ source: 'tool_result', withheld: true }),
    ]);
    expect(run.citations).toEqual([]);
    const toolEntry = (await api.detail(sub, run.run_id)).trace.find((e) => e.kind === 'tool')!;
    expect(toolEntry.detail).toMatchObject({
      status: 'error',
      error: { code: 'withheld' },
      injection: { withheld: true },
    });
    expect(toolEntry.detail.result).toBeUndefined();
    expect(await metric.count('tool_result', ROUTE, 'blocked')).toBe(1);
  });

  it('refuses an injected task with 422 prompt-injection, and starts no run', async () => {
    const sub = 'inj-agent-block-input';
    const problem = await expectProblem(await t.as(sub, ROUTE, postJson({ input: INJECTED })), 422);
    expect(problem.type).toMatch(/prompt-injection$/);
    expect(problem.errors?.[0]?.pointer).toBe('/body/input');
    expect((await readBody(await t.as(sub, ROUTE), listRunsRoute, 200)).items).toEqual([]);
    expect(model.pending()).toBe(0);
  });
});
