// What to render, and where, from the tree (reference §5.2 chain of thought, §7.3).
//
// Runs named on_chat_start/on_message/on_audio_end are transparent: their children are
// shown in their place. Messages (user/assistant/system) are shown at the top level, even
// when nested in steps. Other steps are boxes according to ui.cot: "full" shows all of
// them, "tool_call" only type "tool", "hidden" none (their messages still show).

import type { Step, StepDict } from '../types';
import type { TreeSnapshot } from './tree';

const CL_RUNS = new Set(['on_chat_start', 'on_message', 'on_audio_end']);

export function isClRun(step: StepDict): boolean {
  return step.type === 'run' && CL_RUNS.has(step.name ?? '');
}

export function isMessage(step: StepDict): boolean {
  return step.type?.includes('message') ?? false;
}

export type Cot = 'full' | 'tool_call' | 'hidden';

export interface RenderItem {
  /** `error`: a Chainlit run that failed, shown as an error after what it sent. */
  kind: 'message' | 'step' | 'error';
  id: string;
}

/** The notice the server sends when the user stops a run (Chainlit's text). */
export const STOP_NOTICE = 'Task manually stopped.';

export function showsAsBox(step: Step, cot: Cot): boolean {
  if (isMessage(step) || isClRun(step)) return false;
  if (cot === 'hidden') return false;
  if (cot === 'tool_call') return step.type === 'tool';
  return true;
}

/** The top-level items: messages and step boxes, in tree order. */
export function topLevelItems(tree: TreeSnapshot, cot: Cot): RenderItem[] {
  const out: RenderItem[] = [];
  const walk = (ids: readonly string[], insideBox: boolean) => {
    for (const id of ids) {
      const step = tree.nodes.get(id);
      if (!step) continue;
      const kids = tree.kids.get(id) ?? [];
      if (isMessage(step)) {
        out.push({ kind: 'message', id });
        walk(kids, false);
      } else if (isClRun(step)) {
        walk(kids, insideBox);
        if (showsRunFailure(tree, step)) out.push({ kind: 'error', id });
      } else if (showsAsBox(step, cot)) {
        if (!insideBox) out.push({ kind: 'step', id });
        // Messages inside the box are hoisted out of it, right after it.
        walk(kids, true);
      } else {
        walk(kids, insideBox);
      }
    }
  };
  walk(tree.roots, false);
  return out;
}

/**
 * Whether a failed Chainlit run is shown as an error. The run step carries the
 * exception's text when the app's callback raised (Chainlit shows nothing then), or
 * the server's note when its worker was lost. Not shown: a run the user stopped (the
 * cancelled run is an error with no text, after the stop notice), nor one whose error
 * the server already sent as an error message (an exception in on_chat_start).
 */
export function showsRunFailure(tree: TreeSnapshot, run: Step): boolean {
  if (!run.isError) return false;
  const text = run.output ?? '';
  for (const node of tree.nodes.values()) {
    if (!isMessage(node)) continue;
    if (node.isError && (node.output ?? '') === text) return false;
    if (!text && !node.parentId && node.output === STOP_NOTICE && within(node, run)) return false;
  }
  return true;
}

function within(message: Step, run: Step): boolean {
  const at = Date.parse(message.createdAt ?? '');
  const start = Date.parse(run.start ?? run.createdAt ?? '');
  const end = Date.parse(run.end ?? '');
  if (Number.isNaN(at) || Number.isNaN(start)) return true;
  return at >= start && (Number.isNaN(end) || at <= end);
}

/**
 * The run a message was sent in (see `EnclosingRun`): the name of its nearest
 * ancestor of type `run`, `null` at the root, `undefined` past an unknown parent.
 */
export function enclosingRun(tree: TreeSnapshot, step: Step): string | null | undefined {
  const seen = new Set<string>();
  let parentId = step.parentId;
  while (parentId && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = tree.nodes.get(parentId);
    if (!parent) return undefined;
    if (parent.type === 'run') return parent.name ?? '';
    parentId = parent.parentId;
  }
  return null;
}

/** The steps shown inside a box: its non-message descendants that show as boxes. */
export function childBoxes(tree: TreeSnapshot, id: string, cot: Cot): string[] {
  const out: string[] = [];
  const walk = (ids: readonly string[]) => {
    for (const childId of ids) {
      const step = tree.nodes.get(childId);
      if (!step || isMessage(step)) continue;
      if (showsAsBox(step, cot)) out.push(childId);
      else walk(tree.kids.get(childId) ?? []);
    }
  };
  walk(tree.kids.get(id) ?? []);
  return out;
}

export function durationMs(step: Step): number | null {
  if (!step.start || !step.end) return null;
  const ms = Date.parse(step.end) - Date.parse(step.start);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
