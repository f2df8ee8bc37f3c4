import { describe, expect, it } from 'vitest';
import { htmlToText, previewHtml } from '../../../src/rag/documents/html-to-text.ts';
import { expectLinearParse } from '../../helpers/responsiveness.ts';

// Linear is 4, quadratic 16: 10 leaves room for a machine busy with other test files.
const MAX_RATIO = 10;

// Inputs built to hit a parser's worst case: `build(n)`, n repetitions of a piece, with n large
// enough that one run takes some milliseconds. Each must cost about 4x when n grows 4x: the
// previous extractor took 27.7 s for 480 KB of <p>x</p> (it rescanned its whole output at every
// block), and htmlparser2's Parser shifts its element stack from the front at every open tag and
// searches it at every close tag.
const adversarial: Record<string, { build: (n: number) => string; n: number }> = {
  'many short paragraphs': { build: (n) => '<p>x</p>'.repeat(n), n: 20_000 },
  'unclosed nested elements': { build: (n) => '<div>'.repeat(n), n: 80_000 },
  'closing tags that match nothing open': {
    build: (n) => `${'<b>'.repeat(n)}${'</i>'.repeat(n)}`,
    n: 50_000,
  },
  'deep nesting closed at once': { build: (n) => `${'<span>'.repeat(n)}x${'</span>'.repeat(n)}`, n: 50_000 },
  'implied closes': { build: (n) => '<li>a<dt>b<dd>c<td>d'.repeat(n), n: 5_000 },
  'empty headings': { build: (n) => '<h2> </h2>'.repeat(n), n: 20_000 },
  'line breaks and cells': { build: (n) => 'a<br><td>b'.repeat(n), n: 20_000 },
  'a long title': { build: (n) => `<title>${'word '.repeat(n)}</title><p>x</p>`, n: 400_000 },
  'a long class attribute': { build: (n) => `<div class="${'a-b '.repeat(n)}">x</div>`, n: 400_000 },
  entities: { build: (n) => '&amp;&lt;&#x41;&nbsp;'.repeat(n), n: 40_000 },
  'an unclosed comment': { build: (n) => `<!--${'x-'.repeat(n)}`, n: 500_000 },
  'bare angle brackets': { build: (n) => '< <a <'.repeat(n), n: 100_000 },
  'preformatted lines': { build: (n) => `<pre>${'line\n'.repeat(n)}</pre>`, n: 300_000 },
  'whitespace runs': { build: (n) => `<p>${'  \n\t'.repeat(n)}x</p>`, n: 300_000 },
};

describe('htmlToText on adversarial input grows linearly', () => {
  for (const [name, { build, n }] of Object.entries(adversarial)) {
    it(name, async () => {
      await expectLinearParse(build, htmlToText, n, MAX_RATIO);
    });
  }
});

describe('htmlToText limits what it takes from the page', () => {
  it('cuts a 2 MB <title> to 500 characters at a word boundary', () => {
    const { title, text } = htmlToText(`<title>${'lorem ipsum '.repeat(180_000)}</title><p>Body.</p>`);
    expect(title!.length).toBeLessThanOrEqual(500);
    expect(title!.length).toBeGreaterThan(400);
    expect(title).toMatch(/^lorem ipsum .* (lorem|ipsum)$/);
    expect(text).toContain('Body.');
  });

  it('takes the first <title> of the page, not one inside an SVG image', () => {
    const { title } = htmlToText(
      '<svg><title>Icon</title></svg><head><title>The page</title></head><title>Later</title>',
    );
    expect(title).toBe('The page');
  });

  it('a preview reads a bounded prefix: the title, and "empty" only when it read the whole page', () => {
    expect(previewHtml('<head><title>T</title></head><script>x()</script>')).toEqual({
      title: 'T',
      empty: true,
    });
    expect(previewHtml('<p>text</p>')).toEqual({ title: undefined, empty: false });
    const longEmpty = `<title>Long</title>${'<div></div>'.repeat(100_000)}`;
    expect(previewHtml(longEmpty)).toEqual({ title: 'Long', empty: false });
  });
});
