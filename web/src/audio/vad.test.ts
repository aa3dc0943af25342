import { describe, expect, it } from 'vitest';
import { levelDb, SilenceDetector, vadEnabled } from './vad';

const RATE = 24000;
const CHUNK = 2400; // 100 ms

function tone(amplitude: number): Int16Array {
  const pcm = new Int16Array(CHUNK);
  for (let i = 0; i < CHUNK; i += 1) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / RATE));
  return pcm;
}
const SPEECH = tone(8000); // about -15 dBFS
const QUIET = tone(50); // about -59 dBFS
const SILENT = new Int16Array(CHUNK);

function run(detector: SilenceDetector, chunks: Int16Array[]): string[] {
  return chunks.map((c) => detector.push(c, 100));
}

describe('levelDb', () => {
  it('measures RMS in dBFS', () => {
    expect(levelDb(SPEECH)).toBeCloseTo(20 * Math.log10(8000 / 32768 / Math.SQRT2), 1);
    expect(levelDb(SILENT)).toBe(-Infinity);
    expect(levelDb(new Int16Array(0))).toBe(-Infinity);
  });
});

describe('vadEnabled', () => {
  it('needs a timeout or a maximum', () => {
    expect(vadEnabled(undefined)).toBe(false);
    expect(vadEnabled({ min_decibels: -40 })).toBe(false);
    expect(vadEnabled({ silence_timeout: 1500 })).toBe(true);
    expect(vadEnabled({ max_duration: 15000 })).toBe(true);
  });
});

describe('SilenceDetector', () => {
  it('stops after the silence that follows speech', () => {
    const d = new SilenceDetector({ silence_timeout: 300 });
    const verdicts = run(d, [SPEECH, SPEECH, QUIET, SILENT, SPEECH, SILENT, SILENT, SILENT]);
    expect(verdicts).toEqual(['continue', 'continue', 'continue', 'continue', 'continue', 'continue', 'continue', 'silence']);
    expect(d.heardSpeech).toBe(true);
  });

  it('does not stop on silence before any speech unless told to', () => {
    const d = new SilenceDetector({ silence_timeout: 200 });
    expect(run(d, [SILENT, SILENT, SILENT, SILENT])).toEqual(['continue', 'continue', 'continue', 'continue']);
    const e = new SilenceDetector({ silence_timeout: 200, initial_silence_timeout: 300 });
    expect(run(e, [SILENT, QUIET, SILENT])).toEqual(['continue', 'continue', 'no_speech']);
  });

  it('honours the loudness threshold', () => {
    const loose = new SilenceDetector({ min_decibels: -70, initial_silence_timeout: 200 });
    expect(run(loose, [QUIET, QUIET, QUIET])).toEqual(['continue', 'continue', 'continue']);
    expect(loose.heardSpeech).toBe(true);
    const strict = new SilenceDetector({ min_decibels: -10, initial_silence_timeout: 200 });
    expect(run(strict, [SPEECH, SPEECH])).toEqual(['continue', 'no_speech']);
  });

  it('stops at the maximum length whatever is heard', () => {
    const d = new SilenceDetector({ max_duration: 300, silence_timeout: 10_000 });
    expect(run(d, [SPEECH, SPEECH, SPEECH])).toEqual(['continue', 'continue', 'max_duration']);
  });
});
