import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeServerOptions } from '../../../src/node/coalesced-headers.ts';

const encoder = new TextEncoder();
const stream = (firstAfterMs: number) =>
  new ReadableStream<Uint8Array>({
    async start(controller) {
      if (firstAfterMs > 0) await new Promise((r) => setTimeout(r, firstAfterMs));
      controller.enqueue(encoder.encode('data: one\n\n'));
      controller.close();
    },
  });

const app = new Hono();
app.get('/ready-stream', (c) => c.body(stream(0), 200, { 'Content-Type': 'text/event-stream' }));
app.get('/slow-stream', (c) => c.body(stream(400), 200, { 'Content-Type': 'text/event-stream' }));
app.get('/json', (c) => c.json({ ok: true }));

let server: ReturnType<typeof serve>;
let url = '';
// The writes each server socket hands to the kernel (one system call each).
const writes: string[][] = [];

beforeAll(async () => {
  server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve(
      {
        fetch: app.fetch,
        port: 0,
        hostname: '127.0.0.1',
        serverOptions: nodeServerOptions,
      },
      () => resolve(s),
    );
  });
  server.on('connection', (socket: Socket) => {
    const seen: string[] = [];
    writes.push(seen);
    const counted = socket as unknown as {
      _write(chunk: unknown, encoding: string, cb: () => void): void;
      _writev(chunks: { chunk: unknown }[], cb: () => void): void;
    };
    const write = counted._write.bind(socket);
    const writev = counted._writev.bind(socket);
    counted._write = (chunk, encoding, cb) => {
      seen.push(String(chunk));
      write(chunk, encoding, cb);
    };
    counted._writev = (chunks, cb) => {
      seen.push(chunks.map((c) => String(c.chunk)).join(''));
      writev(chunks, cb);
    };
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections();
    server.close(() => resolve());
  });
});

/** What one request's connection wrote, as the kernel got it. */
async function writtenFor(path: string): Promise<string[]> {
  const before = writes.length;
  const response = await fetch(url + path, { headers: { connection: 'close' } });
  await response.text();
  expect(writes.length).toBe(before + 1);
  return writes[before]!;
}

describe('streamed response headers on Node', () => {
  it('leave in one write with a first chunk that is ready', async () => {
    const written = await writtenFor('/ready-stream');
    expect(written[0]).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(written[0]).toContain('data: one');
  });

  it('still leave at once when the first chunk is late', async () => {
    const started = performance.now();
    const response = await fetch(`${url}/slow-stream`, { headers: { connection: 'close' } });
    const headersAfter = performance.now() - started;
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(headersAfter).toBeLessThan(300);
    expect(await response.text()).toBe('data: one\n\n');
    const written = writes.at(-1)!;
    expect(written[0]).not.toContain('data: one');
  });

  it('leave complete responses as they were', async () => {
    const written = await writtenFor('/json');
    expect(written).toHaveLength(1);
    expect(written[0]).toContain('{"ok":true}');
  });
});
