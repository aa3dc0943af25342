import { describe, expect, it } from 'vitest';
import { splitBlocks, splitBlocksIncremental } from './markdown';

describe('splitBlocks', () => {
  it('splits paragraphs at blank lines', () => {
    expect(splitBlocks('a\nb\n\nc\n\nd')).toEqual(['a\nb\n', 'c\n', 'd']);
  });
  it('keeps fenced code whole', () => {
    const text = 'x\n\n```py\na\n\nb\n```\n\ny';
    expect(splitBlocks(text)).toEqual(['x\n', '```py\na\n\nb\n```\n', 'y']);
  });
  it('keeps indented continuations with their list item', () => {
    const text = '1. one\n\n   more\n\n2. two';
    expect(splitBlocks(text)).toEqual(['1. one\n\n   more\n', '2. two']);
  });
  it('keeps display math whole', () => {
    expect(splitBlocks('$$\na\n\nb\n$$\n\nz')).toEqual(['$$\na\n\nb\n$$\n', 'z']);
  });
  it('does not split text with reference links', () => {
    const text = 'see [x]\n\n[x]: http://example.com';
    expect(splitBlocks(text)).toEqual([text]);
  });
  it('joins back to the same text apart from separators', () => {
    const text = 'a\n\n\n\nb\n\n';
    expect(splitBlocks(text).join('').replace(/\n+/g, '\n')).toBe('a\nb\n');
  });
});

describe('splitBlocksIncremental', () => {
  it('matches a full split at every step of a stream', () => {
    const text =
      '# Title\n\nintro para\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\n- a\n- b\n\n   more\n\n$$\nx\n\ny\n$$\n\nend\n\n\n';
    let previous = null;
    for (let i = 0; i <= text.length; i++) {
      const next = splitBlocksIncremental(text.slice(0, i), previous);
      expect(next.blocks).toEqual(splitBlocks(text.slice(0, i)));
      previous = next;
    }
  });
  it('starts over when the text is replaced', () => {
    const first = splitBlocksIncremental('a\n\nb\n\nc', null);
    expect(splitBlocksIncremental('x\n\ny', first).blocks).toEqual(['x\n', 'y']);
  });
});
