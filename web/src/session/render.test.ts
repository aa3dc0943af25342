import { describe, expect, it } from 'vitest';
import type { StepDict } from '../types';
import { enclosingRun, STOP_NOTICE, topLevelItems } from './render';
import { MessageTree } from './tree';

function treeOf(steps: StepDict[]) {
  const tree = new MessageTree();
  for (const step of steps) tree.upsert(step);
  return tree.snapshot();
}

const user: StepDict = { id: 'u', type: 'user_message', output: 'hi', parentId: null };
const run = (fields: Partial<StepDict> = {}): StepDict => ({
  id: 'run',
  type: 'run',
  name: 'on_message',
  parentId: 'u',
  start: '2026-01-01T00:00:01Z',
  end: '2026-01-01T00:00:03Z',
  output: '',
  ...fields,
});

describe('failed runs', () => {
  it('shows a run whose callback raised, after what the run sent', () => {
    const reply: StepDict = { id: 'a', type: 'assistant_message', output: 'partial', parentId: 'run' };
    const items = topLevelItems(treeOf([user, run({ isError: true, output: 'boom' }), reply]), 'full');
    expect(items).toEqual([
      { kind: 'message', id: 'u' },
      { kind: 'message', id: 'a' },
      { kind: 'error', id: 'run' },
    ]);
  });

  it('shows an exception without text too, and no run that ended well', () => {
    expect(topLevelItems(treeOf([user, run({ isError: true })]), 'hidden')).toContainEqual({
      kind: 'error',
      id: 'run',
    });
    expect(topLevelItems(treeOf([user, run()]), 'full')).toEqual([{ kind: 'message', id: 'u' }]);
  });

  it('does not show a run the user stopped', () => {
    const notice: StepDict = {
      id: 'n',
      type: 'assistant_message',
      output: STOP_NOTICE,
      parentId: null,
      createdAt: '2026-01-01T00:00:02Z',
    };
    const items = topLevelItems(treeOf([user, notice, run({ isError: true })]), 'full');
    expect(items.map((item) => item.kind)).toEqual(['message', 'message']);
    // An earlier stop does not hide a later failure.
    const later = run({ isError: true, start: '2026-01-01T00:00:05Z', end: '2026-01-01T00:00:06Z' });
    expect(topLevelItems(treeOf([user, notice, later]), 'full')).toContainEqual({
      kind: 'error',
      id: 'run',
    });
  });

  it('does not repeat an error the server sent as an error message', () => {
    const start = run({ name: 'on_chat_start', parentId: null, isError: true, output: 'bad key' });
    const message: StepDict = { id: 'e', type: 'assistant_message', output: 'bad key', isError: true };
    expect(topLevelItems(treeOf([start, message]), 'full')).toEqual([{ kind: 'message', id: 'e' }]);
  });
});

describe('enclosingRun', () => {
  it('names the nearest run above a message, null at the root, undefined past a gap', () => {
    const start: StepDict = { id: 's', type: 'run', name: 'on_chat_start', parentId: null };
    const greeting: StepDict = { id: 'g', type: 'assistant_message', output: 'Hello', parentId: 's' };
    const tool: StepDict = { id: 't', type: 'tool', name: 'search', parentId: 'run' };
    const nested: StepDict = { id: 'n', type: 'assistant_message', output: 'found', parentId: 't' };
    const lost: StepDict = { id: 'l', type: 'assistant_message', output: 'x', parentId: 'gone' };
    const tree = treeOf([start, greeting, user, run(), tool, nested, lost]);
    const at = (id: string) => enclosingRun(tree, tree.nodes.get(id)!);
    expect([at('g'), at('n'), at('u'), at('l')]).toEqual(['on_chat_start', 'on_message', null, undefined]);
  });
});
