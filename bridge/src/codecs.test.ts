import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import * as lz4 from 'lz4js';
import { zstdCompressSync } from 'node:zlib';
import SnappyJS from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { registerCodecs, snappyDecode } from './codecs.ts';

const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);

/** Frames chunks the way the Java client's SnappyOutputStream (xerial) does. */
function xerialFrame(...chunks: Buffer[]): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (const chunk of chunks) {
    const compressed = Buffer.from(SnappyJS.compress(chunk));
    const size = Buffer.alloc(4);
    size.writeInt32BE(compressed.length);
    parts.push(size, compressed);
  }
  return Buffer.concat(parts);
}

const text = (s: string) => Buffer.from(s, 'utf8');
const event = JSON.stringify({
  EventType: 'GateIn',
  Title: 'Container gated in',
  ContainerId: 1234567,
  Timestamp: '2026-11-29T08:15:02.1234567',
});
/** Compressible but not trivial: repeated JSON with varying numbers. */
const large = Buffer.from(
  Array.from({ length: 2000 }, (_, i) => event.replace('1234567', String(1_000_000 + i))).join('\n'),
);

type Codec = { compress(encoder: { buffer: Buffer }): Promise<Buffer>; decompress(buffer: Buffer): Promise<Buffer> };
const codec = (type: CompressionTypes) => {
  registerCodecs();
  return (CompressionCodecs[type as CompressionTypes.Snappy] as () => Codec)();
};

describe('bridge > snappyDecode', () => {
  it.each([
    ['one chunk', [text(event)]],
    ['several chunks', [text('first chunk,'), text(event), text(' last')]],
    [
      'a 32 KiB-chunked large payload',
      Array.from({ length: Math.ceil(large.length / 32_768) }, (_, i) => large.subarray(i * 32_768, (i + 1) * 32_768)),
    ],
    ['binary bytes', [Buffer.from([0, 255, 1, 254, 0, 0, 0, 0x82])]],
  ])('decodes an xerial frame with %s', (_label, chunks) => {
    expect(snappyDecode(xerialFrame(...chunks))).toEqual(Buffer.concat(chunks));
  });

  it('decodes an xerial frame with no chunks to nothing', () => {
    expect(snappyDecode(xerialFrame())).toHaveLength(0);
  });

  it('decodes an xerial frame with an empty chunk', () => {
    expect(snappyDecode(xerialFrame(text('a'), Buffer.alloc(0), text('b'))).toString()).toBe('ab');
  });

  it.each([
    ['a short value', text('hi')],
    ['a JSON event', text(event)],
    ['a large payload', large],
    ['an empty value', Buffer.alloc(0)],
  ])('decodes a raw snappy block: %s', (_label, value) => {
    expect(snappyDecode(Buffer.from(SnappyJS.compress(value)))).toEqual(value);
  });

  it('throws on bytes that are not snappy', () => {
    expect(() => snappyDecode(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toThrow();
  });
});

describe('bridge > registerCodecs', () => {
  it('is idempotent', () => {
    registerCodecs();
    const before = CompressionCodecs[CompressionTypes.Snappy];
    registerCodecs();
    expect(CompressionCodecs[CompressionTypes.Snappy]).toBe(before);
  });

  it.each([
    ['an empty value', Buffer.alloc(0)],
    ['a JSON event', text(event)],
    ['a large payload', large],
  ])('round-trips snappy: %s', async (_label, value) => {
    const snappy = codec(CompressionTypes.Snappy);
    expect(await snappy.decompress(await snappy.compress({ buffer: value }))).toEqual(value);
  });

  it('reads a Java-style xerial snappy batch through kafkajs', async () => {
    expect(await codec(CompressionTypes.Snappy).decompress(xerialFrame(text(event), text(event)))).toEqual(
      text(event + event),
    );
  });

  it.each([
    ['a JSON event', text(event)],
    ['a large payload', large],
    ['binary bytes', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))],
  ])('round-trips lz4 (frame format): %s', async (_label, value) => {
    const lz4Codec = codec(CompressionTypes.LZ4);
    const compressed = await lz4Codec.compress({ buffer: value });
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204); // LZ4 frame magic
    expect(await lz4Codec.decompress(compressed)).toEqual(value);
  });

  it('reads lz4 frames written by another encoder (lz4js directly)', async () => {
    expect(await codec(CompressionTypes.LZ4).decompress(Buffer.from(lz4.compress(large)))).toEqual(large);
  });

  it.each([
    ['a JSON event', text(event)],
    ['a large payload', large],
  ])('reads zstd: %s', async (_label, value) => {
    expect(await codec(CompressionTypes.ZSTD).decompress(zstdCompressSync(value))).toEqual(value);
  });

  it('refuses to write zstd, saying which codecs it writes', async () => {
    await expect(codec(CompressionTypes.ZSTD).compress({ buffer: text(event) })).rejects.toThrow(/gzip, snappy or lz4/);
  });
});
