import { describe, expect, it } from 'vitest';
import { LlmError } from '../../../src/llm/llm-error.ts';
import type { BreakerStateChange } from '../../../src/llm/resilience/breaker-events.ts';
import { createResilience } from '../../../src/llm/resilience/resilience.ts';
import { createLogger } from '../../../src/observability/logger.ts';

describe('the model breaker (per provider and model) reports its state changes', () => {
  it('logs and reports open, half_open and closed, per key; 4xx never opens it', async () => {
    const changes: BreakerStateChange[] = [];
    const logs: Record<string, unknown>[] = [];
    const resilience = createResilience({
      maxRetries: 0,
      baseDelayMs: 0,
      maxDelayMs: 0,
      breakerThreshold: 2,
      breakerCooldownMs: 100,
      logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) }),
      onStateChange: (change) => changes.push(change),
    });
    const run = (key: string, attempt: () => Promise<string>) =>
      resilience.run(key, attempt, { timeoutMs: 1000 }).catch((e: unknown) => e as LlmError);
    const outage = async () => {
      throw new LlmError('upstream_error', 'HTTP 500');
    };

    // Rejected requests say nothing about the provider's health.
    for (let i = 0; i < 4; i++)
      await run('openai:m', async () => {
        throw new LlmError('rejected', 'bad parameter');
      });
    expect(changes).toEqual([]);

    await run('openai:m', outage);
    await run('openai:m', outage);
    expect(changes).toEqual([{ breaker: 'llm', key: 'openai:m', state: 'open' }]);
    expect(await run('openai:m', async () => 'never called')).toMatchObject({
      kind: 'circuit_open',
      status: 503,
    });

    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await run('openai:m', async () => 'ok')).toBe('ok');
    expect(changes.map((c) => c.state)).toEqual(['open', 'half_open', 'closed']);
    expect(logs.find((l) => l.msg === 'breaker opened')).toMatchObject({
      level: 'warn',
      breaker: 'llm',
      breaker_key: 'openai:m',
      state: 'open',
    });
    expect(logs.filter((l) => l.msg === 'breaker state changed').map((l) => l.state)).toEqual([
      'half_open',
      'closed',
    ]);
  });

  it('an observer that throws is logged and never breaks the call', async () => {
    const logs: Record<string, unknown>[] = [];
    const resilience = createResilience({
      maxRetries: 0,
      baseDelayMs: 0,
      maxDelayMs: 0,
      breakerThreshold: 1,
      breakerCooldownMs: 1000,
      logger: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) }),
      onStateChange: () => {
        throw new Error('metrics exporter down');
      },
    });
    const error = await resilience
      .run(
        'openai:n',
        async () => {
          throw new LlmError('timeout', 'slow');
        },
        { timeoutMs: 1000 },
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(logs.some((l) => l.msg === 'breaker observer failed')).toBe(true);
  });
});
