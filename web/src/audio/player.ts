// Plays the PCM16 the app streams (`audio_chunk` server events from OutputAudioChunk)
// back to back, and stops at once on `audio_interrupt`.

import { pcm16ToFloat } from './pcm';

/** A chunk starts when the previous one ends, or a little after now if that has passed. */
export function nextStart(now: number, queuedUntil: number, lead = 0.03): number {
  return Math.max(now + lead, queuedUntil);
}

export class StreamPlayer {
  private context: AudioContext | null = null;
  private queuedUntil = 0;
  private readonly sources = new Set<AudioBufferSourceNode>();
  /** Chunks and samples handed to the audio output (diagnostics and tests). */
  chunks = 0;
  samples = 0;

  constructor(public sampleRate: number) {}

  /** Create (or wake) the output inside a user gesture, so later chunks may play. */
  prime(): void {
    this.output();
  }

  play(bytes: ArrayBuffer | ArrayBufferView): void {
    const samples = pcm16ToFloat(bytes);
    if (!samples.length) return;
    const context = this.output();
    if (!context) return;
    const buffer = context.createBuffer(1, samples.length, this.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = context.createBufferSource();
    source.buffer = buffer;
    source.connect(context.destination);
    const at = nextStart(context.currentTime, this.queuedUntil);
    source.start(at);
    this.queuedUntil = at + buffer.duration;
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
    this.chunks += 1;
    this.samples += samples.length;
  }

  get playing(): boolean {
    return this.sources.size > 0;
  }

  interrupt(): void {
    for (const source of this.sources) {
      try {
        source.stop();
      } catch {
        // Already stopped.
      }
    }
    this.sources.clear();
    this.queuedUntil = 0;
  }

  close(): void {
    this.interrupt();
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }

  private output(): AudioContext | null {
    if (typeof AudioContext === 'undefined') return null;
    if (!this.context || this.context.state === 'closed') {
      this.context = new AudioContext();
      this.queuedUntil = 0;
    }
    if (this.context.state === 'suspended') void this.context.resume().catch(() => undefined);
    return this.context;
  }
}
