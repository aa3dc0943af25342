import { describe, expect, it } from 'vitest';
import { forgetSession, LIMIT, liveSession, rememberSession } from './liveSessions';

function memory(): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (key) => data.get(key) ?? null, setItem: (key, value) => void data.set(key, value) };
}

describe('live sessions by thread', () => {
  it('remembers the session of a thread until it is forgotten', () => {
    const store = memory();
    expect(liveSession('t1', store)).toBeNull();
    rememberSession('t1', 's1', store);
    rememberSession('t2', 's2', store);
    expect([liveSession('t1', store), liveSession('t2', store)]).toEqual(['s1', 's2']);
    forgetSession('s1', store);
    expect([liveSession('t1', store), liveSession('t2', store)]).toEqual([null, 's2']);
  });

  it('keeps one session per thread and one thread per session', () => {
    const store = memory();
    rememberSession('t1', 's1', store);
    rememberSession('t1', 's2', store);
    rememberSession('t3', 's2', store);
    expect([liveSession('t1', store), liveSession('t3', store)]).toEqual([null, 's2']);
  });

  it('keeps only the latest entries, and survives what it cannot read', () => {
    const store = memory();
    for (let i = 0; i <= LIMIT; i++) rememberSession(`t${i}`, `s${i}`, store);
    expect(liveSession('t0', store)).toBeNull();
    expect(liveSession(`t${LIMIT}`, store)).toBe(`s${LIMIT}`);
    store.data.set('switchboard.liveSessions', '{not json');
    expect(liveSession('t1', store)).toBeNull();
    rememberSession('t1', 's1', store);
    expect(liveSession('t1', store)).toBe('s1');
  });
});
