import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';

const capture = () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
  return { logger, lines };
};

describe('log lines stay bounded and free of query parameters', () => {
  it("logs drizzle's query error without its params, with the driver's cause", () => {
    const { logger, lines } = capture();
    const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    const params = 'secret-param-'.repeat(100_000);
    const wrapped = Object.assign(new Error(`Failed query: select $1\nparams: ${params}`), {
      query: 'select $1',
      params: [params],
      cause: driver,
    });
    logger.error('unhandled error', { err: wrapped });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(10_000);
    expect(lines[0]).not.toContain('secret-param');
    const { err } = JSON.parse(lines[0]!);
    expect(err).toMatchObject({
      message: 'Failed query: select $1',
      cause: { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' },
    });
  });

  it('cuts long messages, long fields and deep cause chains', () => {
    const { logger, lines } = capture();
    let error = new Error('m'.repeat(50_000));
    for (let i = 0; i < 10; i++) error = new Error(`level ${i}`, { cause: error });
    logger.warn('x', { err: error, detail: 'd'.repeat(100_000) });
    expect(lines[0]!.length).toBeLessThan(20_000);
    const line = JSON.parse(lines[0]!);
    expect(line.detail).toMatch(/^d+…\[91808 more characters\]$/);
  });
});
