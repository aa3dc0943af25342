import { describe, expect, it } from 'vitest';
import { parseHeaders, upsert, userTransports, withConfigured, type McpServer } from './model';

const server = (name: string, extra: Partial<McpServer> = {}): McpServer => ({
  name,
  type: 'stdio',
  state: 'connected',
  tools: [],
  configured: false,
  ...extra,
});

describe('parseHeaders', () => {
  it('reads one Name: value per line and skips blank lines', () => {
    expect(parseHeaders('Authorization: Bearer a:b\n\n  X-Key:  v  \n')).toEqual({
      headers: { Authorization: 'Bearer a:b', 'X-Key': 'v' },
    });
    expect(parseHeaders('')).toEqual({ headers: {} });
  });
  it('names the first malformed line', () => {
    expect(parseHeaders('A: 1\nno colon here')).toEqual({ error: 2 });
    expect(parseHeaders('Bad Name: 1')).toEqual({ error: 1 });
    expect(parseHeaders('Empty:')).toEqual({ error: 1 });
  });
});

describe('userTransports', () => {
  it('offers only what the config enables, none when MCP is off', () => {
    expect(userTransports(undefined)).toEqual([]);
    expect(userTransports({ enabled: false })).toEqual([]);
    expect(userTransports({ enabled: true })).toEqual(['stdio', 'streamable-http', 'sse']);
    expect(
      userTransports({ enabled: true, stdio: { enabled: false }, sse: { enabled: false } }),
    ).toEqual(['streamable-http']);
    expect(userTransports({ enabled: true, user_servers: { enabled: false } })).toEqual(['stdio']);
  });
});

describe('server lists', () => {
  it('replaces a same-name server, case-insensitively', () => {
    const list = upsert([server('A'), server('b')], server('a', { tools: ['x'] }));
    expect(list.map((s) => [s.name, s.tools])).toEqual([
      ['a', ['x']],
      ['b', []],
    ]);
  });
  it('lists configured servers first, once, connecting until answered', () => {
    const list = withConfigured([server('mine'), server('Docs', { configured: true })], {
      enabled: true,
      servers: [
        { name: 'docs', type: 'sse' },
        { name: 'search', type: 'streamable-http' },
      ],
    });
    expect(list.map((s) => [s.name, s.state, s.configured])).toEqual([
      ['Docs', 'connected', true],
      ['search', 'connecting', true],
      ['mine', 'connected', false],
    ]);
  });
});
