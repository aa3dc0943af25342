import { describe, expect, it } from 'vitest';
import type { Step } from '../types';
import { MessageTree } from './tree';

const step = (id: string, parentId: string | null = null, output = ''): Step => ({
  id,
  parentId,
  name: id,
  type: 'assistant_message',
  output,
});

describe('MessageTree', () => {
  it('nests by parentId and merges by id', () => {
    const tree = new MessageTree();
    tree.upsert(step('u'));
    tree.upsert(step('run', 'u'));
    tree.upsert(step('a', 'run', 'hi'));
    tree.upsert({ ...step('a', 'run'), output: 'hello' });
    const snap = tree.snapshot();
    expect(snap.roots).toEqual(['u']);
    expect(snap.kids.get('run')).toEqual(['a']);
    expect(snap.nodes.get('a')?.output).toBe('hello');
  });

  it('keeps published snapshots immutable while tokens stream', () => {
    const tree = new MessageTree();
    tree.upsert(step('a'));
    const first = tree.snapshot();
    tree.token('a', 'x', false, false);
    tree.token('a', 'y', false, false);
    const second = tree.snapshot();
    expect(first.nodes.get('a')?.output).toBe('');
    expect(second.nodes.get('a')?.output).toBe('xy');
    tree.token('a', 'z', true, false);
    expect(tree.snapshot().nodes.get('a')?.output).toBe('z');
    expect(tree.snapshot()).toBe(tree.snapshot());
  });

  it('adopts orphans when their parent arrives', () => {
    const tree = new MessageTree();
    tree.upsert(step('child', 'parent'));
    expect(tree.snapshot().roots).toEqual(['child']);
    tree.upsert(step('parent'));
    const snap = tree.snapshot();
    expect(snap.roots).toEqual(['parent']);
    expect(snap.kids.get('parent')).toEqual(['child']);
  });

  it('removes a node with its descendants', () => {
    const tree = new MessageTree();
    tree.upsert(step('a'));
    tree.upsert(step('b', 'a'));
    tree.upsert(step('c', 'b'));
    tree.remove('b');
    const snap = tree.snapshot();
    expect(snap.nodes.has('c')).toBe(false);
    expect(snap.kids.get('a')).toEqual([]);
  });

  it('ends open streams, leaving finished steps and old snapshots alone', () => {
    const tree = new MessageTree();
    tree.upsert({ ...step('a'), streaming: true });
    tree.upsert(step('b', null, 'done'));
    tree.token('a', 'partial', false, false);
    const before = tree.snapshot();
    expect(tree.endStreaming()).toBe(true);
    const after = tree.snapshot();
    expect(before.nodes.get('a')?.streaming).toBe(true);
    expect(after.nodes.get('a')).toMatchObject({ streaming: false, output: 'partial' });
    expect(after.nodes.get('b')).toBe(before.nodes.get('b'));
    expect(tree.endStreaming()).toBe(false);
    expect(tree.snapshot()).toBe(after);
  });

  it('takes no step without an id, and gives every step an output', () => {
    const tree = new MessageTree();
    expect(tree.upsert({ name: 'nameless', output: 'x' })).toBe(false);
    expect(tree.upsert({ id: '', output: 'x' })).toBe(false);
    expect(tree.upsert({ id: 'a', type: 'run' })).toBe(true);
    expect(tree.snapshot().nodes.get('a')?.output).toBe('');
    tree.upsert({ id: 'a', output: 'done' });
    tree.upsert({ id: 'a', output: null, isError: true });
    const node = tree.snapshot().nodes.get('a');
    expect([tree.size, node?.output, node?.isError]).toEqual([1, 'done', true]);
  });
});
