// Voice in a chat session, with Chainlit's socket events (reference §1.3/§1.4):
// audio_start → audio_connection "on" → audio_chunk… → audio_end, and playback of the
// app's audio_chunk / audio_interrupt.

import { chunkBytes, chunkPayload } from './pcm';
import { StreamPlayer } from './player';
import { MicRecorder } from './recorder';
import { SilenceDetector, vadEnabled, type VadOptions } from './vad';
import { nextVoice, VOICE_OFF, type Voice, type VoiceEvent } from './voiceState';

/** What the voice channel needs from its session. */
export interface VoiceHost {
  /** Send a client event; `quiet` skips the "not connected" notice. False when not sent. */
  emit(event: string, payload: unknown, quiet?: boolean): boolean;
  changed(voice: Voice): void;
}

/** An app that never answers audio_start leaves the button usable again after this. */
const ANSWER_TIMEOUT_MS = 10_000;

export class VoiceChannel {
  private voice: Voice = VOICE_OFF;
  private recorder: MicRecorder | null = null;
  private player: StreamPlayer;
  private answerTimer: number | null = null;
  /** The app's `[features.audio] sample_rate`: what is recorded and what is played. */
  private rate = 24000;
  /** `[features.audio]`'s voice activity keys: when set, silence ends the recording. */
  vad: VadOptions | undefined;

  constructor(private readonly host: VoiceHost) {
    this.player = new StreamPlayer(this.rate);
  }

  get current(): Voice {
    return this.voice;
  }

  /** Chunks and samples of the app's audio played so far. */
  get played(): { chunks: number; samples: number } {
    return { chunks: this.player.chunks, samples: this.player.samples };
  }

  get sampleRate(): number {
    return this.rate;
  }

  set sampleRate(rate: number) {
    if (!(rate > 0) || rate === this.rate) return;
    this.rate = rate;
    this.player.sampleRate = rate;
  }

  /** The microphone button, pressed while off. */
  start(): void {
    if (this.voice.state !== 'off') return;
    this.player.prime();
    if (!this.host.emit('audio_start', undefined)) return;
    this.apply('start');
    this.clearTimer();
    this.answerTimer = window.setTimeout(() => this.apply('server_off'), ANSWER_TIMEOUT_MS);
  }

  /** The microphone button, pressed while on: the last chunk, then audio_end. */
  stop(): void {
    const was = this.voice.state;
    if (was === 'off') return;
    this.releaseMic();
    this.player.interrupt();
    this.apply('stop');
    if (was === 'on') this.host.emit('audio_end', undefined, true);
  }

  /** audio_connection from the server. */
  connection(value: unknown): void {
    const was = this.voice.state;
    this.apply(value === 'on' ? 'server_on' : 'server_off');
    if (was === 'connecting' && this.voice.state === 'on') void this.openMic();
  }

  /** The server refused an audio event (an `error` naming it). */
  refused(): void {
    this.apply('server_off');
  }

  disconnected(): void {
    this.apply('disconnected');
    this.player.interrupt();
  }

  /** audio_chunk from the server. */
  play(payload: unknown): void {
    const data = chunkBytes((payload as { data?: unknown } | null)?.data);
    if (data) this.player.play(data);
  }

  /** audio_interrupt from the server. */
  interrupt(): void {
    this.player.interrupt();
  }

  close(): void {
    this.apply('disconnected');
    this.player.close();
  }

  private apply(event: VoiceEvent): void {
    const next = nextVoice(this.voice, event);
    if (next.state !== 'connecting') this.clearTimer();
    if (next.state === 'off') this.releaseMic();
    if (next === this.voice) return;
    this.voice = next;
    this.host.changed(next);
  }

  private async openMic(): Promise<void> {
    const recorder = new MicRecorder();
    this.recorder = recorder;
    const started = performance.now();
    const detector = vadEnabled(this.vad) ? new SilenceDetector(this.vad ?? {}) : null;
    const rate = this.rate;
    let first = true;
    try {
      await recorder.start(rate, (pcm) => {
        this.host.emit('audio_chunk', chunkPayload(pcm, first, performance.now() - started), true);
        first = false;
        // The last chunk a stop flushes comes back here after the recorder was let go.
        if (!detector || this.recorder !== recorder) return;
        if (detector.push(pcm, (pcm.length / rate) * 1000) !== 'continue') this.stop();
      });
    } catch (error) {
      console.warn('the microphone could not be used', error);
      recorder.stop();
      if (this.recorder === recorder) {
        this.recorder = null;
        this.apply('mic_failed');
      }
    }
  }

  private releaseMic(): void {
    const recorder = this.recorder;
    this.recorder = null;
    recorder?.stop();
  }

  private clearTimer(): void {
    if (this.answerTimer !== null) window.clearTimeout(this.answerTimer);
    this.answerTimer = null;
  }
}
