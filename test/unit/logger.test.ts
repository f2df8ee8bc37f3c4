import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';

const capture = (level: 'debug' | 'info' | 'warn' | 'error' | 'silent') => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
    now: () => new Date('2026-01-02T03:04:05Z'),
  });
  return { logger, lines };
};

describe('logger', () => {
  it('writes one JSON object per line with bound fields', () => {
    const { logger, lines } = capture('info');
    logger.child({ request_id: 'r1' }).info('request', { status: 200, latency_ms: 1.5 });
    expect(lines).toEqual([
      {
        ts: '2026-01-02T03:04:05.000Z',
        level: 'info',
        msg: 'request',
        request_id: 'r1',
        status: 200,
        latency_ms: 1.5,
      },
    ]);
  });

  it('drops lines below the level', () => {
    const { logger, lines } = capture('warn');
    logger.info('quiet');
    logger.debug('quieter');
    logger.error('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });

  it('redacts secrets but keeps token counts', () => {
    const { logger, lines } = capture('debug');
    logger.info('call', { authorization: 'Bearer abc', api_key: 'sk-1', tokens_in: 3, tokens_out: 4 });
    expect(lines[0]).toMatchObject({
      authorization: '[redacted]',
      api_key: '[redacted]',
      tokens_in: 3,
      tokens_out: 4,
    });
  });
});
