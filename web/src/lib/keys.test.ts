import { describe, expect, it } from 'vitest';
import { escapeStopsReply, type EscapeContext } from './keys';

const running: EscapeContext = {
  key: 'Escape',
  defaultPrevented: false,
  isComposing: false,
  busy: true,
  dialogOpen: false,
};

describe('escapeStopsReply', () => {
  it('stops a running reply', () => {
    expect(escapeStopsReply(running)).toBe(true);
  });

  it('does nothing when no reply runs', () => {
    expect(escapeStopsReply({ ...running, busy: false })).toBe(false);
  });

  it('leaves other keys alone', () => {
    expect(escapeStopsReply({ ...running, key: 'Enter' })).toBe(false);
    expect(escapeStopsReply({ ...running, key: 'Esc ' })).toBe(false);
  });

  it('yields to a dialog, a menu or an editor that handles Escape, and to an IME', () => {
    expect(escapeStopsReply({ ...running, dialogOpen: true })).toBe(false);
    expect(escapeStopsReply({ ...running, defaultPrevented: true })).toBe(false);
    expect(escapeStopsReply({ ...running, isComposing: true })).toBe(false);
  });
});
