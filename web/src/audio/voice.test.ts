import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextStart } from './player';
import { VoiceChannel } from './voice';
import { nextVoice, VOICE_OFF, type Voice } from './voiceState';

describe('nextVoice', () => {
  it('goes on only after the app accepts, and off on stop', () => {
    const connecting = nextVoice(VOICE_OFF, 'start');
    expect(connecting).toEqual({ state: 'connecting', notice: null });
    const on = nextVoice(connecting, 'server_on');
    expect(on).toEqual({ state: 'on', notice: 'listening' });
    expect(nextVoice(on, 'stop')).toEqual({ state: 'off', notice: 'ended' });
  });

  it('says why it could not start', () => {
    const connecting = nextVoice(VOICE_OFF, 'start');
    expect(nextVoice(connecting, 'server_off')).toEqual({ state: 'off', notice: 'refused' });
    const on = nextVoice(connecting, 'server_on');
    expect(nextVoice(on, 'mic_failed')).toEqual({ state: 'off', notice: 'unavailable' });
    expect(nextVoice(on, 'server_off')).toEqual({ state: 'off', notice: 'ended' });
    expect(nextVoice(on, 'disconnected')).toEqual({ state: 'off', notice: 'ended' });
  });

  it('ignores an "on" it did not ask for, and events that change nothing', () => {
    expect(nextVoice(VOICE_OFF, 'server_on')).toBe(VOICE_OFF);
    expect(nextVoice(VOICE_OFF, 'stop')).toBe(VOICE_OFF);
    expect(nextVoice(VOICE_OFF, 'server_off')).toBe(VOICE_OFF);
    const on = nextVoice(nextVoice(VOICE_OFF, 'start'), 'server_on');
    expect(nextVoice(on, 'start')).toBe(on);
    expect(nextVoice(on, 'server_on')).toBe(on);
  });
});

describe('nextStart', () => {
  it('queues chunks back to back, never in the past', () => {
    expect(nextStart(1, 0, 0.03)).toBeCloseTo(1.03);
    expect(nextStart(1, 2.5, 0.03)).toBe(2.5);
  });
});

describe('VoiceChannel', () => {
  let sent: [string, unknown][];
  let seen: Voice[];
  let connected: boolean;
  const channel = () =>
    new VoiceChannel({
      emit: (event, payload) => {
        if (!connected) return false;
        sent.push([event, payload]);
        return true;
      },
      changed: (voice) => seen.push(voice),
    });

  beforeEach(() => {
    sent = [];
    seen = [];
    connected = true;
    vi.useFakeTimers();
    vi.stubGlobal('window', globalThis);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('sends audio_start and waits for the app', () => {
    const voice = channel();
    voice.start();
    expect(sent).toEqual([['audio_start', undefined]]);
    expect(voice.current.state).toBe('connecting');
    voice.start();
    expect(sent).toHaveLength(1);
  });

  it('does not start while disconnected', () => {
    connected = false;
    const voice = channel();
    voice.start();
    expect(voice.current).toBe(VOICE_OFF);
  });

  it('gives up when the app does not answer', () => {
    const voice = channel();
    voice.start();
    vi.advanceTimersByTime(10_000);
    expect(voice.current).toEqual({ state: 'off', notice: 'refused' });
  });

  it('reports a browser without a microphone once the app accepted', async () => {
    const voice = channel();
    voice.start();
    voice.connection('on');
    expect(voice.current.state).toBe('on');
    await vi.waitFor(() => expect(voice.current).toEqual({ state: 'off', notice: 'unavailable' }));
    expect(seen.map((v) => v.state)).toEqual(['connecting', 'on', 'off']);
  });

  it('sends audio_end only for a recording that started', () => {
    const voice = channel();
    voice.start();
    voice.stop();
    expect(sent.map(([event]) => event)).toEqual(['audio_start']);
    voice.connection('on');
    expect(voice.current.state).toBe('off');

    voice.start();
    voice.connection('on');
    voice.stop();
    expect(sent.map(([event]) => event)).toEqual(['audio_start', 'audio_start', 'audio_end']);
    expect(voice.current).toEqual({ state: 'off', notice: 'ended' });
  });

  it('takes the sample rate of the app', () => {
    const voice = channel();
    voice.sampleRate = 16000;
    expect(voice.sampleRate).toBe(16000);
    voice.sampleRate = -1;
    expect(voice.sampleRate).toBe(16000);
  });
});
