// The floor any proxy pays on this machine, for reference beside cairn's figures: a bare HTTP
// proxy in its own process (node:http in, one keep-alive undici pool out, nothing else: no auth,
// guards, accounting, validation or logging) that forwards each request to the fake upstream's
// /chat/completions and pipes the reply back as it arrives, streams included.
// `node bench/gateway/bare-proxy-process.ts --upstream http://127.0.0.1:port/v1`. Prints {"url": …}.
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream is required');
const target = `${values.upstream}/chat/completions`;
const dispatcher = new Agent({ keepAliveTimeout: 10_000 });

const server = createServer(async (incoming, outgoing) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const reply = await request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.concat(chunks),
      dispatcher,
    });
    const contentType = reply.headers['content-type'];
    outgoing.writeHead(
      reply.statusCode,
      typeof contentType === 'string' ? { 'content-type': contentType } : {},
    );
    await pipeline(reply.body, outgoing);
  } catch {
    if (!outgoing.headersSent) outgoing.writeHead(502).end();
    else outgoing.destroy();
  }
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
