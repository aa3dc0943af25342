// Markdown to safe HTML: marked + DOMPurify, highlight.js for code, KaTeX when enabled.
//
// Long streamed answers are split into blocks at blank lines outside code fences; each
// block is rendered once and cached, so a new token re-renders only the last block.

import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/common';
import { Marked, type Tokens } from 'marked';

export interface MarkdownOptions {
  allowHtml: boolean;
  latex: boolean;
}

type Katex = typeof import('katex').default;
let katex: Katex | null = null;
let katexLoading: Promise<void> | null = null;

/** Load KaTeX (and its CSS) on first need; resolves when math can be rendered. */
export function loadKatex(): Promise<void> {
  katexLoading ??= Promise.all([import('katex'), import('katex/dist/katex.min.css')]).then(
    ([module]) => {
      katex = module.default;
    },
  );
  return katexLoading;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function math(tex: string, displayMode: boolean): string {
  if (!katex) return escapeHtml(displayMode ? `$$${tex}$$` : `$${tex}$`);
  return katex.renderToString(tex, { displayMode, throwOnError: false, output: 'htmlAndMathml' });
}

function highlight(code: string, lang: string): string {
  const language = lang && hljs.getLanguage(lang) ? lang : '';
  try {
    return language
      ? hljs.highlight(code, { language, ignoreIllegals: true }).value
      : escapeHtml(code);
  } catch {
    return escapeHtml(code);
  }
}

function makeMarked(options: MarkdownOptions): Marked {
  const instance = new Marked({ gfm: true, breaks: false });
  instance.use({
    renderer: {
      code({ text, lang }: Tokens.Code): string {
        const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
        const label = escapeHtml(language || 'text');
        return (
          `<div class="code-block"><div class="code-head"><span>${label}</span>` +
          `<button type="button" class="copy-code" data-copy-code aria-label="Copy code">Copy</button></div>` +
          `<pre><code class="hljs${language ? ` language-${escapeHtml(language)}` : ''}">${highlight(text, language)}</code></pre></div>`
        );
      },
      html({ text }: Tokens.HTML | Tokens.Tag): string {
        return options.allowHtml ? text : escapeHtml(text);
      },
      table(token: Tokens.Table): string {
        // Wide tables scroll inside the message instead of widening the page.
        return `<div class="table-wrap">${tableHtml(this as unknown as TableRenderer, token)}</div>`;
      },
    },
  });
  if (options.latex) {
    instance.use({
      extensions: [
        {
          name: 'blockMath',
          level: 'block',
          start: (src: string) => src.indexOf('$$'),
          tokenizer(src: string) {
            const match = /^\$\$([\s\S]+?)\$\$(?:\n|$)/.exec(src);
            if (match) return { type: 'blockMath', raw: match[0], text: match[1].trim() };
            return undefined;
          },
          renderer: (token) => `<div class="math-block">${math(String(token.text), true)}</div>`,
        },
        {
          name: 'inlineMath',
          level: 'inline',
          start: (src: string) => src.indexOf('$'),
          tokenizer(src: string) {
            const match = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/.exec(src);
            if (match) return { type: 'inlineMath', raw: match[0], text: match[1] };
            return undefined;
          },
          renderer: (token) => math(String(token.text), false),
        },
      ],
    });
  }
  return instance;
}

interface TableRenderer {
  parser: { parseInline: (tokens: Tokens.Generic[]) => string };
}

function tableHtml(self: TableRenderer, token: Tokens.Table): string {
  const cell = (c: Tokens.TableCell, header: boolean) => {
    const tag = header ? 'th' : 'td';
    const align = c.align ? ` style="text-align:${c.align}"` : '';
    const scope = header ? ' scope="col"' : '';
    return `<${tag}${align}${scope}>${self.parser.parseInline(c.tokens)}</${tag}>`;
  };
  const head = `<tr>${token.header.map((c) => cell(c, true)).join('')}</tr>`;
  const body = token.rows.map((row) => `<tr>${row.map((c) => cell(c, false)).join('')}</tr>`);
  return `<table><thead>${head}</thead><tbody>${body.join('')}</tbody></table>`;
}

let purifyReady = false;
function purify(html: string): string {
  if (!purifyReady) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.getAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
    // Set once: a config passed to every sanitize() call is parsed again each time.
    DOMPurify.setConfig({ ADD_ATTR: ['target'], FORBID_TAGS: ['style', 'form'] });
    purifyReady = true;
  }
  return DOMPurify.sanitize(html);
}

const instances = new Map<string, Marked>();

export function renderMarkdown(text: string, options: MarkdownOptions): string {
  const key = `${options.allowHtml ? 1 : 0}${options.latex && katex ? 1 : 0}`;
  let instance = instances.get(key);
  if (!instance) {
    instance = makeMarked({ ...options, latex: options.latex && !!katex });
    instances.set(key, instance);
  }
  return purify(instance.parse(text, { async: false }) as string);
}

export interface BlockSplit {
  text: string;
  blocks: string[];
  /** Where the last block starts: text before it can no longer change its split. */
  stableEnd: number;
}

/**
 * Split `text` reusing `previous` when `text` extends it (a stream): only the part from
 * the previous last block on is scanned again, so each token costs O(last block).
 */
export function splitBlocksIncremental(text: string, previous: BlockSplit | null): BlockSplit {
  if (
    previous &&
    previous.blocks.length > 1 &&
    text.length >= previous.stableEnd &&
    text.startsWith(previous.text.slice(0, previous.stableEnd))
  ) {
    const tail = splitBlocks(text.slice(previous.stableEnd));
    const blocks = previous.blocks.slice(0, -1).concat(tail);
    const last = tail[tail.length - 1];
    return { text, blocks, stableEnd: text.length - last.length };
  }
  const blocks = splitBlocks(text);
  const last = blocks[blocks.length - 1] ?? '';
  return { text, blocks, stableEnd: text.length - last.length };
}

/**
 * Split markdown into independently renderable blocks: at blank lines outside fenced code
 * and `$$` math, unless the next line is indented (a list item's continuation). Text with
 * reference-style link definitions stays whole.
 */
export function splitBlocks(text: string): string[] {
  if (/^ {0,3}\[[^\]]+\]:\s/m.test(text)) return [text];
  const blocks: string[] = [];
  let fence: string | null = null;
  let mathBlock = false;
  let start = 0;
  let pending = -1;
  let position = 0;
  for (;;) {
    const newline = text.indexOf('\n', position);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(position, lineEnd);
    const blank = line.trim() === '';
    if (fence === null && !mathBlock) {
      if (blank) {
        if (pending === -1 && position > start) pending = position;
      } else if (pending !== -1) {
        if (!/^[ \t]/.test(line)) {
          blocks.push(text.slice(start, pending));
          start = position;
        }
        pending = -1;
      }
    }
    if (!blank) {
      const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fenceMatch) {
        const marker = fenceMatch[1];
        if (fence === null) fence = marker;
        else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
      } else if (fence === null && line.trim() === '$$') {
        mathBlock = !mathBlock;
      }
    }
    if (newline === -1) break;
    position = newline + 1;
  }
  if (start < text.length) blocks.push(text.slice(start));
  return blocks.length ? blocks : [text];
}
