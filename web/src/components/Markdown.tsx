import { memo, useContext, useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { AppContext } from '../context';
import { renderBlocks } from '../lib/blockRender';
import {
  loadKatex,
  renderMarkdown,
  splitBlocksIncremental,
  type BlockSplit,
  type MarkdownOptions,
} from '../lib/markdown';

interface Props {
  content: string;
  streaming?: boolean;
  plain?: boolean;
}

const Block = memo(function Block({ html }: { html: string }) {
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});

/** Blocks in groups, so a long answer reconciles a few groups per frame, not every block. */
const GROUP = 32;
const BlockGroup = memo(
  function BlockGroup({ html }: { html: string[] }) {
    return (
      <>
        {html.map((block, index) => (
          <Block key={index} html={block} />
        ))}
      </>
    );
  },
  (a, b) => a.html.length === b.html.length && a.html.every((h, i) => h === b.html[i]),
);

interface Cache {
  key: string;
  split: BlockSplit | null;
  html: string[];
}

function useOptions(): MarkdownOptions {
  const app = useContext(AppContext);
  return {
    allowHtml: !!app?.settings.features.unsafe_allow_html,
    latex: !!app?.settings.features.latex,
  };
}

/** Markdown with per-block caching: a streamed token re-renders only the last block. */
export function Markdown({ content, streaming, plain }: Props) {
  const options = useOptions();
  const [katexReady, setKatexReady] = useState(false);
  const cache = useRef<Cache>({ key: '', split: null, html: [] });
  useEffect(() => {
    if (options.latex) void loadKatex().then(() => setKatexReady(true));
  }, [options.latex]);

  // Another pass for the blocks a time-boxed pass left (see lib/blockRender).
  const [pass, setPass] = useState(0);
  const { html, complete } = useMemo(() => {
    if (plain) return { html: [], complete: true };
    const key = `${options.allowHtml}${options.latex}${katexReady}`;
    const previous: Cache = cache.current.key === key ? cache.current : { key, split: null, html: [] };
    const split = splitBlocksIncremental(content, previous.split);
    const before = previous.split?.blocks ?? [];
    const result = renderBlocks(split.blocks, before, previous.html, (block) => renderMarkdown(block, options));
    cache.current = { key, split, html: result.html };
    return result;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [content, plain, options.allowHtml, options.latex, katexReady, pass]);
  useEffect(() => {
    if (complete) return;
    const frame = requestAnimationFrame(() => setPass((n) => n + 1));
    return () => cancelAnimationFrame(frame);
  }, [complete, html]);

  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>('[data-copy-code]');
    if (!button) return;
    const code = button.closest('.code-block')?.querySelector('code')?.textContent ?? '';
    void navigator.clipboard?.writeText(code).then(() => {
      button.textContent = 'Copied';
      window.setTimeout(() => (button.textContent = 'Copy'), 1500);
    });
  };

  if (plain) return <div className="md plain">{content}</div>;
  return (
    <div className={`md${streaming ? ' streaming' : ''}`} onClick={onClick} aria-busy={complete ? undefined : true}>
      {Array.from({ length: Math.ceil(html.length / GROUP) }, (_, group) => (
        <BlockGroup key={group} html={html.slice(group * GROUP, (group + 1) * GROUP)} />
      ))}
    </div>
  );
}
