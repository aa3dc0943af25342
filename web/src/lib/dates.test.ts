import { describe, expect, it } from 'vitest';
import { groupOf } from './dates';

describe('groupOf', () => {
  const now = new Date(2026, 10, 27, 9, 30);
  const at = (days: number, hours = 0) =>
    new Date(2026, 10, 27 - days, 12 + hours).toISOString();

  it('sorts threads into Chainlit timeframes by local calendar day', () => {
    expect(groupOf(new Date(2026, 10, 27, 0, 1).toISOString(), now)).toBe('today');
    expect(groupOf(new Date(2026, 10, 26, 23, 59).toISOString(), now)).toBe('yesterday');
    expect(groupOf(at(1), now)).toBe('yesterday');
    expect(groupOf(at(2), now)).toBe('previous7days');
    expect(groupOf(at(6), now)).toBe('previous7days');
    expect(groupOf(at(10), now)).toBe('previous30days');
    expect(groupOf(at(45), now)).toBe('older');
  });
});
