import { beforeAll, describe, expect, it } from 'vitest';
import { type CountTokens, loadTokenCounter } from '../../../src/llm/tokens/count-tokens.ts';
import { chunkText } from '../../../src/rag/chunking/chunk-text.ts';
import { expectLinearParse } from '../../helpers/responsiveness.ts';

// Linear is 4, quadratic 16: 10 leaves room for a machine busy with other test files.
const MAX_RATIO = 10;

let count: CountTokens;
beforeAll(async () => {
  count = await loadTokenCounter();
});

const body = (n: number) => 'Vacuum reclaims dead rows. '.repeat(n / 100);

const markdown = (text: string, size = 300) =>
  chunkText(text, { size, overlap: Math.floor(size / 4), format: 'markdown', countTokens: count });

// The heading pattern used to be /^(#{1,6})[ \t]+(.+?)[ \t#]*$/: a heading line with a long run of
// spaces before its last word made it backtrack once per character of the run, for every one.
// Each input is `build(n)`, with n large enough that one run takes some milliseconds.
const adversarial: Record<string, { build: (n: number) => string; n: number }> = {
  // A section under each heading, growing with it, so a run measures more than a native scan.
  'a heading with a long run of spaces before its last word': {
    build: (n) => `# a${' '.repeat(n)}b\n\n${body(n)}`,
    n: 200_000,
  },
  'a heading of closing hashes and spaces': {
    build: (n) => `# ${'# '.repeat(n)}x #\n\n${body(n)}`,
    n: 200_000,
  },
  // At 5,000 the text (45 KB) stays under V8's 128 KB large-object size while 4n's does not: that
  // step alone measured 15 to 35 times the time on a quiet machine. From 20,000 on, 4n costs 3 to 5 times.
  'many headings': { build: (n) => '# h\n\np\n\n'.repeat(n), n: 20_000 },
  'an unclosed fence': { build: (n) => `\`\`\`\n${'# not a heading\n'.repeat(n)}`, n: 20_000 },
  'alternating fences': { build: (n) => '```\n~~~\n'.repeat(n), n: 20_000 },
  'a long line of hashes': { build: (n) => '#'.repeat(n), n: 400_000 },
  'deep heading levels': { build: (n) => '###### a\n# b\n'.repeat(n), n: 20_000 },
};

describe('Markdown parsing on adversarial input grows linearly', () => {
  for (const [name, { build, n }] of Object.entries(adversarial)) {
    it(name, async () => {
      await expectLinearParse(build, markdown, n, MAX_RATIO);
    });
  }
});

describe('Markdown headings', () => {
  it('still reads closing hashes and spaces as no part of the heading', () => {
    const chunks = markdown('## Backups ##  \n\ntext\n\n# #\n\nmore');
    expect(chunks.map((c) => c.headingPath)).toEqual([['Backups'], ['#']]);
  });

  it('keeps at most 300 characters of a heading: every chunk of its section repeats it', () => {
    const chunks = markdown(`# ${'long heading '.repeat(10_000)}\n\n${'Body sentence. '.repeat(200)}`, 64);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.headingPath[0]!.length).toBeLessThanOrEqual(300);
  });
});
