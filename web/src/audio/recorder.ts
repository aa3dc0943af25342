// The microphone as PCM16 chunks at the app's sample rate: getUserMedia into Web Audio,
// an AudioWorklet hands the samples over, then they are resampled and cut into chunks.

import { ChunkAssembler, samplesPerChunk, StreamResampler } from './pcm';

const PROCESSOR = 'switchboard-capture';

// Runs on the audio thread: copies the first input channel out in batches.
const WORKLET_SOURCE = `
class SwitchboardCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.batch = new Float32Array(1024);
    this.filled = 0;
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      let read = 0;
      while (read < channel.length) {
        const take = Math.min(this.batch.length - this.filled, channel.length - read);
        this.batch.set(channel.subarray(read, read + take), this.filled);
        this.filled += take;
        read += take;
        if (this.filled === this.batch.length) {
          this.port.postMessage(this.batch.slice());
          this.filled = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor('${PROCESSOR}', SwitchboardCapture);
`;

/** Whether this page may ask for a microphone at all (secure context, a modern browser). */
export function microphoneSupported(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    !!navigator.mediaDevices?.getUserMedia &&
    typeof AudioContext !== 'undefined' &&
    typeof AudioWorkletNode !== 'undefined'
  );
}

export class MicRecorder {
  private stream: MediaStream | null = null;
  private context: AudioContext | null = null;
  private source: MediaStreamAudioSourceNode | null = null;
  private node: AudioWorkletNode | null = null;
  private assembler: ChunkAssembler | null = null;
  private onChunk: ((pcm: Int16Array) => void) | null = null;
  private stopped = false;

  /** Ask for the microphone and start calling `onChunk` with `chunkMs` of audio each. */
  async start(rate: number, onChunk: (pcm: Int16Array) => void, chunkMs = 100): Promise<void> {
    if (!microphoneSupported()) throw new Error('this browser gives this page no microphone');
    this.onChunk = onChunk;
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.stream = stream;
    if (this.stopped) return this.release();
    const context = new AudioContext();
    this.context = context;
    const url = URL.createObjectURL(new Blob([WORKLET_SOURCE], { type: 'text/javascript' }));
    try {
      await context.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    if (this.stopped) return this.release();
    if (context.state === 'suspended') await context.resume();
    const resampler = new StreamResampler(context.sampleRate, rate);
    const assembler = new ChunkAssembler(samplesPerChunk(rate, chunkMs));
    this.assembler = assembler;
    const node = new AudioWorkletNode(context, PROCESSOR, {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    node.port.onmessage = (event: MessageEvent<Float32Array>) => {
      if (this.stopped) return;
      for (const chunk of assembler.push(resampler.push(event.data))) onChunk(chunk);
    };
    const source = context.createMediaStreamSource(stream);
    // The node writes nothing to its output; being connected keeps it running.
    source.connect(node);
    node.connect(context.destination);
    this.source = source;
    this.node = node;
  }

  /** Hand over what is left as a last, shorter chunk, then let go of the microphone. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const rest = this.assembler?.flush();
    if (rest && this.onChunk) this.onChunk(rest);
    this.release();
  }

  private release(): void {
    if (this.node) this.node.port.onmessage = null;
    this.source?.disconnect();
    this.node?.disconnect();
    this.stream?.getTracks().forEach((track) => track.stop());
    void this.context?.close().catch(() => undefined);
    this.source = null;
    this.node = null;
    this.stream = null;
    this.context = null;
  }
}
