// A fake OpenAI-compatible upstream in its own process, so it never competes with cairn's event
// loop: `node bench/gateway/fake-upstream-process.ts --delay 0`. Prints {"url": …} once listening.
// Chat replies are a valid default analysis (so /analyze validates on the first attempt); streamed
// replies carry 20 content chunks of 8 characters, then the finish and usage chunks.
import { parseArgs } from 'node:util';
import { startFakeOpenAi } from '../../test/helpers/fake-openai-server.ts';

const { values } = parseArgs({ options: { delay: { type: 'string', default: '0' } } });
const analysis = JSON.stringify({
  summary: 'A benchmark reply.',
  sentiment: { label: 'neutral', confidence: 0.5 },
  topics: ['benchmark'],
  entities: [],
  language: 'en',
});
const streamed = 'chunk-0|'.repeat(20);
const server = await startFakeOpenAi({
  delayMs: Number(values.delay),
  record: false,
  defaultReply: (path, body) =>
    path.endsWith('/embeddings')
      ? { kind: 'embeddings' }
      : {
          kind: 'chat',
          content: body.stream === true ? streamed : analysis,
          usage: { prompt: 300, completion: 40 },
        },
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
