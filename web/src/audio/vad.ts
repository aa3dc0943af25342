// Voice activity detection on the microphone's PCM16 chunks, as [features.audio] sets
// it (Chainlit 1.x's keys): stop when nobody speaks at first, after a silence that
// follows speech, or at a maximum length. Pure, so every path is tested.

export interface VadOptions {
  /** Loudness (dBFS) above which a chunk is speech; -45 when only timeouts are set. */
  min_decibels?: number;
  /** Stop when no speech is heard within this many ms of the start. */
  initial_silence_timeout?: number;
  /** Stop after this many ms of silence once speech was heard. */
  silence_timeout?: number;
  /** Stop after this many ms whatever is heard. */
  max_duration?: number;
}

export type VadVerdict = 'continue' | 'no_speech' | 'silence' | 'max_duration';

export const DEFAULT_MIN_DECIBELS = -45;

/** Whether the config asks for any automatic stop at all. */
export function vadEnabled(options: VadOptions | undefined): boolean {
  return !!options && [options.initial_silence_timeout, options.silence_timeout, options.max_duration].some((v) => typeof v === 'number' && v > 0);
}

/** Root-mean-square level of PCM16 samples in dBFS (-Infinity for digital silence). */
export function levelDb(pcm: Int16Array): number {
  if (!pcm.length) return -Infinity;
  let sum = 0;
  for (let i = 0; i < pcm.length; i += 1) {
    const v = pcm[i] / 32768;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / pcm.length);
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

export class SilenceDetector {
  private elapsed = 0;
  private spoke = false;
  private quietFor = 0;
  private readonly threshold: number;

  constructor(private readonly options: VadOptions) {
    this.threshold = options.min_decibels ?? DEFAULT_MIN_DECIBELS;
  }

  get heardSpeech(): boolean {
    return this.spoke;
  }

  /** Feed one chunk lasting `ms`; what to do next. */
  push(pcm: Int16Array, ms: number): VadVerdict {
    const { initial_silence_timeout: initial, silence_timeout: silence, max_duration: max } = this.options;
    this.elapsed += ms;
    if (levelDb(pcm) > this.threshold) {
      this.spoke = true;
      this.quietFor = 0;
    } else {
      this.quietFor += ms;
    }
    if (max && this.elapsed >= max) return 'max_duration';
    if (!this.spoke && initial && this.elapsed >= initial) return 'no_speech';
    if (this.spoke && silence && this.quietFor >= silence) return 'silence';
    return 'continue';
  }
}
