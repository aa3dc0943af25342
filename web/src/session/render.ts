// What to render, and where, from the tree (reference §5.2 chain of thought, §7.3).
//
// Runs named on_chat_start/on_message/on_audio_end are transparent: their children are
// shown in their place. Messages (user/assistant/system) are shown at the top level, even
// when nested in steps. Other steps are boxes according to ui.cot: "full" shows all of
// them, "tool_call" only type "tool", "hidden" none (their messages still show).

import type { Step } from '../types';
import { isClRun, isMessage } from './session';
import type { TreeSnapshot } from './tree';

export type Cot = 'full' | 'tool_call' | 'hidden';

export interface RenderItem {
  kind: 'message' | 'step';
  id: string;
}

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
