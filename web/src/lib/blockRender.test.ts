import { describe, expect, it } from 'vitest';
import { renderBlocks } from './blockRender';

/** A clock that moves `step` ms each time it is read. */
function clock(step: number) {
  let t = 0;
  return () => (t += step);
}

describe('renderBlocks', () => {
  it('renders everything when the budget allows', () => {
    const pass = renderBlocks(['a', 'b', 'c'], [], [], (b) => `<p>${b}</p>`, 8, clock(0));
    expect(pass).toEqual({ html: ['<p>a</p>', '<p>b</p>', '<p>c</p>'], complete: true });
  });

  it('stops at the budget and goes on from there in the next pass', () => {
    const blocks = ['a', 'b', 'c', 'd', 'e'];
    const render = (b: string) => b.toUpperCase();
    const first = renderBlocks(blocks, [], [], render, 8, clock(3));
    expect(first.complete).toBe(false);
    expect(first.html.length).toBeGreaterThan(0);
    expect(first.html.length).toBeLessThan(5);
    let pass = first;
    let passes = 1;
    while (!pass.complete) {
      pass = renderBlocks(blocks, blocks.slice(0, pass.html.length), pass.html, render, 8, clock(3));
      passes += 1;
    }
    expect(pass.html).toEqual(['A', 'B', 'C', 'D', 'E']);
    expect(passes).toBeGreaterThan(1);
  });

  it('reuses unchanged blocks and always renders at least one new block', () => {
    let calls = 0;
    const render = (b: string) => {
      calls += 1;
      return `<${b}>`;
    };
    const pass = renderBlocks(['a', 'b2', 'c'], ['a', 'b'], ['<a>', '<b>'], render, 0, clock(100));
    expect(pass).toEqual({ html: ['<a>', '<b2>'], complete: false });
    expect(calls).toBe(1);
  });
});
