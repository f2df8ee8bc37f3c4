import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { capText } from '../chunking/cap-text.ts';
import { TITLE_MAX_CHARS } from './document-limits.ts';

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

// How HTML closes elements nobody closed: these, once opened, close the open elements listed
// (htmlparser2's rules). Elements without content are never open at all.
const pTag = new Set(['p']);
const headingTags = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p']);
const formTags = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
const impliedCloses = new Map<string, Set<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['a', new Set(['a'])],
  ['li', new Set(['li'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', new Set(['dd', 'dt'])],
  ['dt', new Set(['dd', 'dt'])],
  ['rt', new Set(['rt', 'rp'])],
  ['rp', new Set(['rt', 'rp'])],
  ['tbody', new Set(['thead', 'tbody'])],
  ['tfoot', new Set(['thead', 'tbody'])],
  ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((h) => [h, headingTags] as const),
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map((t) => [t, formTags] as const),
  ...[
    'p',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map((t) => [t, pTag] as const),
]);
const voids = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
const foreign = new Set(['svg', 'math']);

// Raw title text kept while reading: several times the cap, so collapsing whitespace still fills it.
const TITLE_SCAN_CHARS = TITLE_MAX_CHARS * 4;

const isSpace = (c: string) => /\s/.test(c);
const isBlank = (c: string) => c === ' ' || c === '\t';

/**
 * The extracted text as a list of pieces. Every check and edit looks at its end only: the
 * previous version ran a regular expression over the whole text at every block, which made
 * extraction quadratic (480 KB of `<p>x</p>` took 28 s).
 */
class Output {
  private parts: string[] = [];
  length = 0;

  push(text: string) {
    if (text.length === 0) return;
    this.parts.push(text);
    this.length += text.length;
  }
  lastChar(): string | undefined {
    const last = this.parts.at(-1);
    return last?.[last.length - 1];
  }
  endsWith(suffix: string): boolean {
    let tail = '';
    for (let i = this.parts.length - 1; i >= 0 && tail.length < suffix.length; i--) {
      tail = this.parts[i]!.slice(tail.length - suffix.length) + tail;
    }
    return tail.endsWith(suffix);
  }
  /** Removes trailing characters that `drop` accepts. */
  trimEnd(drop: (c: string) => boolean) {
    while (this.parts.length > 0) {
      const last = this.parts.at(-1)!;
      let end = last.length;
      while (end > 0 && drop(last[end - 1]!)) end--;
      this.length -= last.length - end;
      if (end > 0) {
        this.parts[this.parts.length - 1] = last.slice(0, end);
        return;
      }
      this.parts.pop();
    }
  }
  /** Cuts the text back to its first `length` characters. */
  truncate(length: number) {
    while (this.length > length) {
      const last = this.parts.pop()!;
      this.length -= last.length;
      if (this.length < length) this.push(last.slice(0, length - this.length));
    }
  }
  toString() {
    return this.parts.join('');
  }
}

export interface ExtractedHtml {
  /** The first <title>, whitespace collapsed, cut to TITLE_MAX_CHARS at a word boundary. */
  title: string | undefined;
  /** Markdown-flavoured text: `#` headings, blank lines between blocks, preformatted text kept. */
  text: string;
}

/**
 * Reduces HTML to text that keeps its structure: headings become `#` lines (so chunking
 * keeps heading paths), blocks become paragraphs, `<pre>` keeps its line breaks, and
 * scripts, styles and navigation are dropped.
 *
 * Linear in the input: htmlparser2's tokenizer reads it, and the open elements are kept here
 * (htmlparser2's own Parser searches and shifts its element stack from the front on every tag,
 * so deeply nested or mismatched tags made it quadratic).
 */
export function htmlToText(html: string): ExtractedHtml {
  const out = new Output();
  // The open elements, innermost last: names and whether each is skipped, in two arrays (a page
  // can leave a million elements open; they are kept small), names interned.
  const openNames: string[] = [];
  const openSkipped: boolean[] = [];
  const interned = new Map<string, string>();
  const intern = (name: string) => {
    const known = interned.get(name);
    if (known !== undefined) return known;
    interned.set(name, name);
    return name;
  };
  const openCount = new Map<string, number>();
  let skipDepth = 0;
  let foreignDepth = 0;
  let preDepth = 0;
  let heading = 0;
  let markerAt = 0;
  let headingTextAt = 0;
  let titleState: 'before' | 'inside' | 'done' = 'before';
  let titleText = '';

  const paragraphBreak = () => {
    out.trimEnd(isBlank);
    if (out.length > 0 && !out.endsWith('\n\n')) out.push(out.endsWith('\n') ? '\n' : '\n\n');
  };

  const text = (data: string) => {
    if (titleState === 'inside' && titleText.length < TITLE_SCAN_CHARS) {
      titleText += data.slice(0, TITLE_SCAN_CHARS - titleText.length);
    }
    if (skipDepth > 0) return;
    if (preDepth > 0 && !heading) {
      out.push(out.endsWith('```\n') ? data.replace(/^\r?\n/, '') : data);
      return;
    }
    // Most text has nothing to collapse; skipping the copy keeps large pages cheap.
    const collapsed = /[^\S ]| {2}/.test(data) ? data.replace(/\s+/g, ' ') : data;
    const last = out.lastChar();
    out.push(last === undefined || isSpace(last) ? collapsed.replace(/^ /, '') : collapsed);
  };

  const open = (name: string, attributes: Record<string, string>) => {
    const skip =
      skipDepth > 0 ||
      skipped.has(name) ||
      boilerplate.test(attributes.class ?? '') ||
      boilerplate.test(attributes.id ?? '') ||
      attributes.role === 'navigation' ||
      attributes.hidden !== undefined;
    if (name === 'title' && titleState === 'before' && foreignDepth === 0) titleState = 'inside';
    if (skip) {
      skipDepth++;
      return skip;
    }
    const level = /^h([1-6])$/.exec(name)?.[1];
    if (level) {
      paragraphBreak();
      heading = Number(level);
      markerAt = out.length;
      out.push(`${'#'.repeat(heading)} `);
      headingTextAt = out.length;
    } else if (name === 'pre') {
      paragraphBreak();
      // Fenced, so a "# comment" line of code is never read as a heading.
      if (preDepth === 0) out.push('```\n');
      preDepth++;
    } else if (blocks.has(name)) paragraphBreak();
    else if (name === 'br') out.push(heading ? ' ' : '\n');
    else if (cells.has(name)) {
      const last = out.lastChar();
      if (last === undefined || !(isSpace(last) || last === '|')) out.push(' | ');
    }
    return skip;
  };

  const close = (name: string, skip: boolean) => {
    if (name === 'title' && titleState === 'inside') titleState = 'done';
    if (skip) {
      skipDepth--;
      return;
    }
    if (/^h[1-6]$/.test(name) && heading) {
      heading = 0;
      out.trimEnd(isSpace);
      // A heading whose text was empty would read as a stray "#" line.
      if (out.length < headingTextAt) out.truncate(markerAt);
      paragraphBreak();
    } else if (name === 'pre') {
      preDepth--;
      if (preDepth === 0) {
        out.trimEnd(isSpace);
        out.push('\n```');
      }
      paragraphBreak();
    } else if (blocks.has(name)) paragraphBreak();
  };

  const pushElement = (name: string, attributes: Record<string, string>) => {
    const skip = open(name, attributes);
    if (voids.has(name)) {
      close(name, skip);
      return;
    }
    openNames.push(intern(name));
    openSkipped.push(skip);
    openCount.set(name, (openCount.get(name) ?? 0) + 1);
    if (foreign.has(name)) foreignDepth++;
  };
  const popElement = () => {
    const name = openNames.pop()!;
    const skip = openSkipped.pop()!;
    openCount.set(name, openCount.get(name)! - 1);
    if (foreign.has(name)) foreignDepth--;
    close(name, skip);
  };
  const innermost = () => openNames.at(-1);
  // Closes up to and including the innermost open `name`; each element is closed once, so
  // all closes together cost no more than all opens.
  const closeTag = (name: string) => {
    if (voids.has(name)) {
      if (name === 'br') pushElement('br', {});
      return;
    }
    if (!openCount.get(name)) {
      // HTML's rule: a stray </p> is an empty paragraph.
      if (name === 'p') {
        pushElement('p', {});
        popElement();
      }
      return;
    }
    while (innermost() !== name) popElement();
    popElement();
  };

  const slice = (start: number, end: number) => html.slice(start, end);
  let tagName = '';
  let attributes: Record<string, string> = {};
  let attributeName = '';
  let attributeValue = '';
  const startTag = () => {
    const implied = impliedCloses.get(tagName);
    if (implied) while (openNames.length > 0 && implied.has(innermost()!)) popElement();
    pushElement(tagName, attributes);
  };
  const callbacks: TokenizerCallbacks = {
    ontext: (start, end) => text(slice(start, end)),
    ontextentity: (codePoint) => text(String.fromCodePoint(codePoint)),
    onopentagname: (start, end) => {
      tagName = slice(start, end).toLowerCase();
      attributes = {};
    },
    onattribname: (start, end) => {
      attributeName = slice(start, end).toLowerCase();
    },
    onattribdata: (start, end) => {
      attributeValue += slice(start, end);
    },
    onattribentity: (codePoint) => {
      attributeValue += String.fromCodePoint(codePoint);
    },
    onattribend: () => {
      if (!Object.hasOwn(attributes, attributeName)) attributes[attributeName] = attributeValue;
      attributeValue = '';
    },
    onopentagend: () => startTag(),
    onselfclosingtag: () => {
      startTag();
      // Only inside SVG or MathML does `<x/>` close itself; in HTML it is an open tag.
      if (foreignDepth > 0 && innermost() === tagName) popElement();
    },
    onclosetag: (start, end) => closeTag(slice(start, end).toLowerCase()),
    oncdata: () => {},
    oncomment: () => {},
    ondeclaration: () => {},
    onprocessinginstruction: () => {},
    onend: () => {
      while (openNames.length > 0) popElement();
    },
    isInForeignContext: () => foreignDepth > 0,
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, callbacks);
  tokenizer.write(html);
  tokenizer.end();

  const title = capText(titleText.replace(/\s+/g, ' ').trim(), TITLE_MAX_CHARS) || undefined;
  return {
    title,
    text: out
      .toString()
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
  };
}

// Characters of an HTML upload read while its request waits: enough for the <title> and the
// first text of any real page, and a bound on the work the request does.
const PREVIEW_CHARS = 256 * 1024;

/**
 * What an upload needs to know before it answers: the page's title, and whether it is certainly
 * empty (only when it was read whole). The full extraction runs later, in the ingestion job.
 */
export function previewHtml(html: string): { title: string | undefined; empty: boolean } {
  const whole = html.length <= PREVIEW_CHARS;
  const { title, text } = htmlToText(whole ? html : html.slice(0, PREVIEW_CHARS));
  return { title, empty: whole && text.length === 0 };
}
