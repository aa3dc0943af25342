// PCM16 as Chainlit's audio events carry it: mono, little-endian 16-bit samples at the
// app's `[features.audio] sample_rate`. Pure functions, so they are tested without a browser.

/** The `mimeType` of every `audio_chunk` the microphone sends. */
export const PCM16 = 'pcm16';

/** What one `audio_chunk` client event carries (reference §1.3); `data` goes as binary. */
export interface AudioChunkPayload {
  isStart: boolean;
  mimeType: typeof PCM16;
  elapsedTime: number;
  data: ArrayBuffer;
}

/** Float samples in [-1, 1] to 16-bit integers, clipped. */
export function floatToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const clipped = Math.max(-1, Math.min(1, samples[i]));
    out[i] = clipped < 0 ? Math.round(clipped * 0x8000) : Math.round(clipped * 0x7fff);
  }
  return out;
}

/** Little-endian PCM16 bytes (an odd trailing byte is dropped) to floats in [-1, 1). */
export function pcm16ToFloat(data: ArrayBuffer | ArrayBufferView): Float32Array<ArrayBuffer> {
  const bytes =
    data instanceof ArrayBuffer
      ? new DataView(data)
      : new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = Math.floor(bytes.byteLength / 2);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes.getInt16(i * 2, true) / 0x8000;
  return out;
}

/**
 * Changes the rate of a stream that arrives in pieces (the microphone runs at the
 * device's rate, the app asks for its own), by linear interpolation. The position
 * carries over from one piece to the next, so piece boundaries leave no seam.
 */
export class StreamResampler {
  private readonly step: number;
  /** Where the next output sample falls, counted from the last sample kept. */
  private position = 0;
  private last: number | null = null;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!(fromRate > 0 && toRate > 0)) throw new RangeError('sample rates must be positive');
    this.step = fromRate / toRate;
  }

  push(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input;
    if (!input.length) return new Float32Array(0);
    // The stream seen here: the last sample of the previous piece, then this one.
    const offset = this.last === null ? 0 : 1;
    const length = input.length + offset;
    const at = (index: number) => (index < offset ? (this.last as number) : input[index - offset]);
    const out: number[] = [];
    let position = this.position;
    while (position <= length - 1) {
      const index = Math.floor(position);
      const fraction = position - index;
      const next = index + 1 < length ? at(index + 1) : at(index);
      out.push(at(index) * (1 - fraction) + next * fraction);
      position += this.step;
    }
    this.position = position - (length - 1);
    this.last = input[input.length - 1];
    return Float32Array.from(out);
  }
}

/** Gathers samples into chunks of a fixed size; `flush` hands over what is left. */
export class ChunkAssembler {
  private pending: Float32Array;
  private filled = 0;

  constructor(readonly samplesPerChunk: number) {
    if (!(samplesPerChunk >= 1)) throw new RangeError('a chunk holds at least one sample');
    this.pending = new Float32Array(samplesPerChunk);
  }

  push(samples: Float32Array): Int16Array[] {
    const chunks: Int16Array[] = [];
    let read = 0;
    while (read < samples.length) {
      const take = Math.min(this.samplesPerChunk - this.filled, samples.length - read);
      this.pending.set(samples.subarray(read, read + take), this.filled);
      this.filled += take;
      read += take;
      if (this.filled === this.samplesPerChunk) {
        chunks.push(floatToPcm16(this.pending));
        this.filled = 0;
      }
    }
    return chunks;
  }

  flush(): Int16Array | null {
    if (!this.filled) return null;
    const chunk = floatToPcm16(this.pending.subarray(0, this.filled));
    this.filled = 0;
    return chunk;
  }
}

/** Samples in one chunk of `ms` milliseconds at `rate` (at least one). */
export function samplesPerChunk(rate: number, ms: number): number {
  return Math.max(1, Math.round((rate * ms) / 1000));
}

/** An `audio_chunk` payload with its own copy of the samples' bytes. */
export function chunkPayload(pcm: Int16Array, isStart: boolean, elapsedMs: number): AudioChunkPayload {
  const data = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength) as ArrayBuffer;
  return { isStart, mimeType: PCM16, elapsedTime: Math.max(0, Math.round(elapsedMs)), data };
}

/** Bytes of a server `audio_chunk` as Socket.IO hands them over (binary, or base64 text). */
export function chunkBytes(data: unknown): ArrayBuffer | ArrayBufferView | null {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data;
  if (typeof data === 'string') {
    try {
      const text = atob(data);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return bytes;
    } catch {
      return null;
    }
  }
  return null;
}
