import { afterAll, describe, expect, it } from 'vitest';
import { createOffloadPool } from '../../../src/node/offload-pool.ts';
import { prepareDocumentTask } from '../../../src/rag/ingest/prepare-document.ts';

const prose = (chars: number) => {
  const sentence = 'Checkpoints flush dirty pages so that recovery replays less of the log. ';
  return sentence.repeat(Math.ceil(chars / sentence.length)).slice(0, chars);
};
const input = (content: string) => ({
  content,
  mimeType: 'text/plain' as const,
  size: 64,
  overlap: 8,
  maxChunks: 1_000_000,
});

describe('the offload pool (worker threads for the CPU-heavy steps of jobs)', () => {
  const pool = createOffloadPool({ size: 1 });
  afterAll(() => pool.close());

  it('runs a task in a worker thread and returns its result', async () => {
    const result = await pool.run(prepareDocumentTask, input(prose(5000)), new AbortController().signal);
    expect(result.ok && result.chunks.length).toBeGreaterThan(5);
  });

  it('ends a task whose signal aborts at once, and its thread is replaced for the next task', async () => {
    const controller = new AbortController();
    const running = pool.run(prepareDocumentTask, input(prose(20_000_000)), controller.signal);
    setTimeout(() => controller.abort(new Error('out of time')), 50);
    const started = performance.now();
    await expect(running).rejects.toThrow('out of time');
    // Rejected as soon as it was aborted: the thread was terminated, not waited for.
    expect(performance.now() - started).toBeLessThan(5000);
    const next = await pool.run(
      prepareDocumentTask,
      input('A short document.'),
      new AbortController().signal,
    );
    expect(next).toMatchObject({ ok: true, chunks: [{ text: 'A short document.' }] });
  });

  it('reports a document that makes too many chunks as a failure, not a crash', async () => {
    const result = await pool.run(
      prepareDocumentTask,
      { ...input(prose(50_000)), maxChunks: 10 },
      new AbortController().signal,
    );
    expect(result).toEqual({ ok: false, error: expect.stringContaining('more than 10 chunks') });
  });
});
