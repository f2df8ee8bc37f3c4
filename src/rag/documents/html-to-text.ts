import { Parser } from 'htmlparser2';

// Non-text and page furniture; a <footer> is site boilerplate far more often than content.
const skipped = new Set([
  'footer',
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'nav',
  'svg',
  'iframe',
  'object',
  'button',
]);
const blocks = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'aside',
  'header',
  'blockquote',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tr',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'address',
  'hr',
  'caption',
  'details',
  'summary',
]);
const cells = new Set(['td', 'th']);
// Page furniture by class or id: navigation bars and headers and footers, breadcrumbs, menus.
const boilerplate =
  /(^|[\s_-])(nav|navbar|navheader|navfooter|breadcrumbs?|menu|sidebar|skip-link)($|[\s_-])/i;

export interface ExtractedHtml {
  title: string | undefined;
  /** Markdown-flavoured text: `#` headings, blank lines between blocks, preformatted text kept. */
  text: string;
}

/**
 * Reduces HTML to text that keeps its structure: headings become `#` lines (so chunking
 * keeps heading paths), blocks become paragraphs, `<pre>` keeps its line breaks, and
 * scripts, styles and navigation are dropped.
 */
export function htmlToText(html: string): ExtractedHtml {
  let out = '';
  let title: string | undefined;
  let titleText = '';
  let inTitle = false;
  let skipDepth = 0;
  let preDepth = 0;
  let heading = 0;
  const open: boolean[] = [];

  const paragraphBreak = () => {
    out = out.replace(/[ \t]+$/, '');
    if (out.length > 0 && !out.endsWith('\n\n')) out += out.endsWith('\n') ? '\n' : '\n\n';
  };
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const skip =
          skipDepth > 0 ||
          skipped.has(name) ||
          boilerplate.test(attributes.class ?? '') ||
          boilerplate.test(attributes.id ?? '') ||
          attributes.role === 'navigation' ||
          attributes.hidden !== undefined;
        open.push(skip);
        if (name === 'title') inTitle = true;
        if (skip) {
          skipDepth++;
          return;
        }
        const level = /^h([1-6])$/.exec(name)?.[1];
        if (level) {
          paragraphBreak();
          heading = Number(level);
          out += `${'#'.repeat(heading)} `;
        } else if (name === 'pre') {
          paragraphBreak();
          // Fenced, so a "# comment" line of code is never read as a heading.
          if (preDepth === 0) out += '```\n';
          preDepth++;
        } else if (blocks.has(name)) paragraphBreak();
        else if (name === 'br') out += heading ? ' ' : '\n';
        else if (cells.has(name) && !/[\s|]$/.test(out)) out += ' | ';
      },
      ontext(data) {
        if (inTitle) titleText += data;
        if (skipDepth > 0) return;
        if (preDepth > 0 && !heading) {
          out += out.endsWith('```\n') ? data.replace(/^\r?\n/, '') : data;
          return;
        }
        const collapsed = data.replace(/\s+/g, ' ');
        out += /[\s]$/.test(out) || out.length === 0 ? collapsed.replace(/^ /, '') : collapsed;
      },
      onclosetag(name) {
        const wasSkipped = open.pop();
        if (name === 'title') {
          inTitle = false;
          title = titleText.replace(/\s+/g, ' ').trim() || undefined;
        }
        if (wasSkipped) {
          skipDepth--;
          return;
        }
        if (/^h[1-6]$/.test(name) && heading) {
          heading = 0;
          out = out.replace(/\s+$/, '');
          paragraphBreak();
        } else if (name === 'pre') {
          preDepth--;
          if (preDepth === 0) out = `${out.replace(/\s+$/, '')}\n\`\`\``;
          paragraphBreak();
        } else if (blocks.has(name)) paragraphBreak();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  // Headings whose text was empty would read as stray "#" lines.
  const text = out
    .replace(/^#{1,6}\s*$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { title, text };
}
