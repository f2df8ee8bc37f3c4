import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../../src/rag/documents/html-to-text.ts';

describe('htmlToText', () => {
  it('keeps headings as # lines and blocks as paragraphs, drops scripts, styles and navigation', () => {
    const { title, text } =
      htmlToText(`<!doctype html><html><head><title> My  page </title><style>p{}</style></head>
      <body><nav>Home | Docs</nav><div class="navheader">Prev Next</div>
      <h1>Main <code>title</code></h1><p>First   paragraph,
      wrapped.</p><script>alert(1)</script><h2>Part two</h2><ul><li>one</li><li>two</li></ul>
      <p>Entities: &lt;tag&gt; &amp; caf&eacute;</p><footer class="site-footer">©</footer></body></html>`);
    expect(title).toBe('My page');
    expect(text).toBe(
      [
        '# Main title',
        'First paragraph, wrapped.',
        '## Part two',
        'one',
        'two',
        'Entities: <tag> & café',
      ].join('\n\n'),
    );
  });

  it('fences preformatted text and keeps its lines', () => {
    const { text } = htmlToText('<p>Run:</p><pre>\n# comment\nSELECT 1;\n  indented</pre>');
    expect(text).toBe('Run:\n\n```\n# comment\nSELECT 1;\n  indented\n```');
  });

  it('reduces a page of the PostgreSQL manual to its content', () => {
    const html = readFileSync(
      new URL('../../fixtures/pg-docs/indexes-partial.html', import.meta.url),
      'utf8',
    );
    const { title, text } = htmlToText(html);
    expect(title).toBe('11.8. Partial Indexes');
    expect(text.startsWith('## 11.8. Partial Indexes')).toBe(true);
    expect(text).toContain('A partial index is an index built over a subset of a table');
    expect(text).not.toMatch(/\bPrev\b.*\bNext\b/);
    expect(text).toContain('CREATE INDEX access_log_client_ip_ix ON access_log (client_ip)');
  });
});
