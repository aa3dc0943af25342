import { describe, expect, it } from 'vitest';
import {
  ChunkAssembler,
  chunkBytes,
  chunkPayload,
  floatToPcm16,
  pcm16ToFloat,
  samplesPerChunk,
  StreamResampler,
} from './pcm';

describe('PCM16 conversion', () => {
  it('turns floats into 16-bit samples, clipping what is out of range', () => {
    const pcm = floatToPcm16(Float32Array.from([0, 1, -1, 0.5, -0.5, 2, -3]));
    expect(Array.from(pcm)).toEqual([0, 32767, -32768, 16384, -16384, 32767, -32768]);
  });

  it('reads little-endian bytes back, from a buffer or a view into one', () => {
    const bytes = Uint8Array.from([0x00, 0x40, 0x00, 0xc0, 0xff, 0x7f, 0x01]);
    expect(Array.from(pcm16ToFloat(bytes.buffer))).toEqual([0.5, -0.5, 32767 / 32768]);
    const view = new Uint8Array(bytes.buffer, 2, 2);
    expect(Array.from(pcm16ToFloat(view))).toEqual([-0.5]);
  });

  it('round-trips', () => {
    const samples = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 5) * 0.8);
    const pcm = floatToPcm16(samples);
    const back = pcm16ToFloat(pcm);
    back.forEach((value, i) => expect(value).toBeCloseTo(samples[i], 3));
  });
});

describe('StreamResampler', () => {
  it('passes a stream through when the rates agree', () => {
    const input = Float32Array.from([0.1, 0.2]);
    expect(new StreamResampler(24000, 24000).push(input)).toBe(input);
  });

  it('halves 48 kHz to 24 kHz without a seam between pieces', () => {
    const ramp = Float32Array.from({ length: 96 }, (_, i) => i / 100);
    const whole = new StreamResampler(48000, 24000).push(ramp);
    const pieces = new StreamResampler(48000, 24000);
    const joined = [...pieces.push(ramp.subarray(0, 37)), ...pieces.push(ramp.subarray(37, 50)), ...pieces.push(ramp.subarray(50))];
    expect(whole.length).toBe(48);
    expect(joined.length).toBe(48);
    joined.forEach((value, i) => expect(value).toBeCloseTo(whole[i], 6));
    // Every other sample of a ramp.
    whole.forEach((value, i) => expect(value).toBeCloseTo((2 * i) / 100, 6));
  });

  it('keeps the duration over a long run at an uneven ratio (44.1 kHz to 24 kHz)', () => {
    const resampler = new StreamResampler(44100, 24000);
    let produced = 0;
    for (let i = 0; i < 100; i++) produced += resampler.push(new Float32Array(441)).length;
    // One second in, one second out (give or take the sample still to come).
    expect(Math.abs(produced - 24000)).toBeLessThanOrEqual(1);
  });

  it('interpolates when it raises the rate', () => {
    const out = new StreamResampler(8000, 16000).push(Float32Array.from([0, 1, 0]));
    expect(Array.from(out)).toEqual([0, 0.5, 1, 0.5, 0]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new StreamResampler(0, 24000)).toThrow(RangeError);
  });
});

describe('ChunkAssembler', () => {
  it('cuts a stream into equal chunks and hands over the rest on flush', () => {
    const assembler = new ChunkAssembler(4);
    expect(assembler.push(new Float32Array(3))).toEqual([]);
    const chunks = assembler.push(Float32Array.from([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]));
    expect(chunks.map((c) => c.length)).toEqual([4, 4]);
    expect(Array.from(chunks[1])).toEqual([16384, 16384, 16384, 16384]);
    expect(assembler.flush()?.length).toBe(1);
    expect(assembler.flush()).toBeNull();
  });

  it('sizes chunks by duration', () => {
    expect(samplesPerChunk(24000, 100)).toBe(2400);
    expect(samplesPerChunk(8000, 0.01)).toBe(1);
  });
});

describe('audio_chunk payloads', () => {
  it("carries Chainlit's fields and a copy of just the chunk's bytes", () => {
    const backing = Int16Array.from([1, 2, 3, 4]);
    const payload = chunkPayload(backing.subarray(1, 3), true, 12.6);
    expect(payload.isStart).toBe(true);
    expect(payload.mimeType).toBe('pcm16');
    expect(payload.elapsedTime).toBe(13);
    expect(payload.data.byteLength).toBe(4);
    expect(Array.from(new Int16Array(payload.data))).toEqual([2, 3]);
    backing[1] = 99;
    expect(Array.from(new Int16Array(payload.data))).toEqual([2, 3]);
  });

  it('reads server chunks sent as binary or as base64', () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    expect(chunkBytes(bytes.buffer)).toBe(bytes.buffer);
    expect(chunkBytes(bytes)).toBe(bytes);
    expect(Array.from(chunkBytes('AQID') as Uint8Array)).toEqual([1, 2, 3]);
    expect(chunkBytes('%%%')).toBeNull();
    expect(chunkBytes(42)).toBeNull();
  });
});
