import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CATEGORIES,
  type Case,
  type CheckContext,
  checks,
  EXPECTATIONS,
  emptyOutcome,
  type Outcome,
  ROUTES,
  runChecks,
} from '../../../evals/redteam/checks.ts';

const dir = path.join(import.meta.dirname, '../../../evals/redteam');
const cases = readFileSync(path.join(dir, 'cases.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Case);
const profiles = Object.keys(JSON.parse(readFileSync(path.join(dir, 'fixtures/profiles.json'), 'utf8')));

describe('the red-team cases', () => {
  it('hold at least 80 cases with unique ids', () => {
    expect(cases.length).toBeGreaterThanOrEqual(80);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('cover every category and every route', () => {
    expect(new Set(cases.map((c) => c.category))).toEqual(new Set(CATEGORIES));
    expect([...ROUTES].filter((route) => !cases.some((c) => c.route === route))).toEqual([]);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s is well-formed', (_id, c) => {
    expect(CATEGORIES).toContain(c.category);
    expect(ROUTES).toContain(c.route);
    expect(EXPECTATIONS).toContain(c.expected);
    expect(c.attack.length).toBeGreaterThan(10);
    expect((c.request === undefined) !== (c.mcp === undefined)).toBe(true);
    expect(c.checks.length).toBeGreaterThan(0);
    for (const check of c.checks) expect(Object.keys(checks)).toContain(check.name);
    for (const doc of c.setup?.documents ?? []) {
      if (typeof doc === 'string') expect(existsSync(path.join(dir, 'fixtures/documents', doc))).toBe(true);
    }
    const agent = c.mcp?.agent ?? (c.request?.body as { agent?: string } | undefined)?.agent;
    if (agent !== undefined) expect(profiles).toContain(agent);
  });
});

describe('the red-team checks', () => {
  const context: CheckContext = {
    baselineMs: 10,
    systemPrompts: { chat: ['Answer using only these sources.'] },
  };
  const outcome = (over: Partial<Outcome>): Outcome => ({
    ...emptyOutcome(),
    status: 200,
    body: {},
    outbound: [],
    elapsedMs: 1,
    worstHealthMs: 1,
    healthFailures: 0,
    ...over,
  });
  const failures = (checkList: Case['checks'], seen: Partial<Outcome>) =>
    runChecks({ checks: checkList } as Case, outcome(seen), context);

  it('fail on what an attack that worked leaves behind', () => {
    expect(failures([{ name: 'not_contains', values: ['zebra-42'] }], { text: 'ok ZEBRA-42' })).toHaveLength(
      1,
    );
    expect(
      failures([{ name: 'no_system_prompt', prompt: 'chat' }], { text: 'answer using only these sources.' }),
    ).toHaveLength(1);
    expect(failures([{ name: 'citations_own' }], { citations: ['b'], ownDocuments: ['a'] })).toHaveLength(1);
    expect(failures([{ name: 'no_outbound' }], { outbound: ['canary GET /'] })).toHaveLength(1);
    expect(
      failures([{ name: 'tool_refused', tool: 'http_request' }], {
        toolCalls: [{ tool: 'http_request', decision: 'executed', status: 'ok', arguments: '{}' }],
      }),
    ).toHaveLength(1);
    expect(failures([{ name: 'responsive' }], { elapsedMs: 1, worstHealthMs: 1500 })).toHaveLength(1);
    expect(failures([{ name: 'no_such_check' }], {})).toEqual(['no_such_check: unknown check no_such_check']);
  });

  it('pass when the attack was contained', () => {
    expect(
      failures(
        [
          { name: 'status', in: [404] },
          { name: 'not_contains', values: ['ZEBRA-42'] },
          { name: 'tool_refused', tool: 'http_request', codes: ['not_allowed'] },
          { name: 'responsive' },
        ],
        {
          status: 404,
          text: 'not_allowed: ZEB RA-42',
          toolCalls: [{ tool: 'http_request', decision: 'refused', status: 'error', arguments: '{}' }],
        },
      ),
    ).toEqual([]);
  });
});
