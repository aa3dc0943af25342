import { memo, useEffect, useId, useState } from 'react';
import { t } from '../lib/i18n';
import { childBoxes, durationMs, formatDuration, type Cot } from '../session/render';
import type { TreeSnapshot } from '../session/tree';
import type { ElementDict } from '../types';
import { InlineElements } from './Elements';
import { AlertIcon, ChevronIcon, Spinner } from './icons';
import { Markdown } from './Markdown';

interface Props {
  id: string;
  tree: TreeSnapshot;
  cot: Cot;
  elementsFor: Map<string, ElementDict[]>;
}

function Code({ text, language }: { text: string; language: string }) {
  return <Markdown content={'```' + language + '\n' + text + '\n```'} />;
}

/** A collapsible step: name, state and duration; input, output and nested steps inside. */
export const StepBox = memo(function StepBox({ id, tree, cot, elementsFor }: Props) {
  const step = tree.nodes.get(id);
  const running = !!step && !step.end && !step.isError;
  const [open, setOpen] = useState(!!step?.defaultOpen);
  const bodyId = useId();
  useEffect(() => {
    if (step?.autoCollapse && step.end) setOpen(false);
  }, [step?.autoCollapse, step?.end]);
  if (!step) return null;
  const nested = childBoxes(tree, id, cot);
  const duration = durationMs(step);
  const showInput = step.showInput !== false && step.showInput !== 'false' && !!step.input;
  const inputLanguage = typeof step.showInput === 'string' && step.showInput !== 'true' ? step.showInput : '';
  const label = step.isError
    ? t('chat.messages.status.failed', 'Failed')
    : running
      ? t('chat.messages.status.using', 'Using')
      : t('chat.messages.status.used', 'Used');
  return (
    <div
      className={`step${step.isError ? ' error' : ''}${running ? ' running' : ''}`}
      data-testid="step"
      data-step-name={step.name}
    >
      <button
        type="button"
        className="step-head"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen((value) => !value)}
      >
        <span className={`chevron${open ? ' open' : ''}`}>
          <ChevronIcon size={14} />
        </span>
        {running ? <Spinner size={14} /> : step.isError ? <AlertIcon size={14} /> : null}
        <span className="step-title">
          {label} <strong>{step.name}</strong>
        </span>
        {duration !== null && <span className="step-duration">{formatDuration(duration)}</span>}
      </button>
      <div id={bodyId} className="step-body" hidden={!open}>
        {open && (
          <>
            {showInput && (
              <section className="step-section">
                <h3>{t('chat.messages.step.input', 'Input')}</h3>
                {inputLanguage ? <Code text={step.input ?? ''} language={inputLanguage} /> : <Markdown content={step.input ?? ''} />}
              </section>
            )}
            {nested.map((child) => (
              <StepBox key={child} id={child} tree={tree} cot={cot} elementsFor={elementsFor} />
            ))}
            {(step.output || !running) && (
              <section className="step-section" data-testid="step-output">
                <h3>{t('chat.messages.step.output', 'Output')}</h3>
                {step.output ? (
                  step.language ? (
                    <Code text={step.output} language={step.language} />
                  ) : (
                    <Markdown content={step.output} streaming={!!step.streaming} />
                  )
                ) : (
                  <p className="muted">{t('chat.messages.step.empty', 'No output')}</p>
                )}
              </section>
            )}
            <InlineElements elements={elementsFor.get(id) ?? []} />
          </>
        )}
      </div>
    </div>
  );
});
