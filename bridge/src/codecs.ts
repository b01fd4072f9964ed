/**
 * Compression codecs for kafkajs beyond its built-in gzip: snappy, lz4 and zstd, as written by
 * librdkafka and the Java client. Pure-JS implementations (no native build step).
 * Kafka's snappy uses the xerial framing; its lz4 is the LZ4 frame format.
 */
import kafkajs from 'kafkajs'; // CommonJS: named imports do not survive Node's ESM loader

import * as lz4 from 'lz4js';
import SnappyJS from 'snappyjs';
import { decompress as zstdDecompress } from 'fzstd';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

/** Decodes Kafka's snappy payload: xerial-framed chunks, or one raw snappy block. */
export function snappyDecode(buffer: Buffer): Buffer {
  if (buffer.length >= 16 && buffer.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const parts: Buffer[] = [];
    let pos = 16; // magic (8) + version (4) + compatible version (4)
    while (pos + 4 <= buffer.length) {
      const size = buffer.readInt32BE(pos);
      pos += 4;
      parts.push(Buffer.from(SnappyJS.uncompress(buffer.subarray(pos, pos + size))));
      pos += size;
    }
    return Buffer.concat(parts);
  }
  return Buffer.from(SnappyJS.uncompress(buffer));
}

const snappyCodec = () => ({
  async compress(encoder: { buffer: Buffer }) {
    return Buffer.from(SnappyJS.compress(encoder.buffer));
  },
  async decompress(buffer: Buffer) {
    return snappyDecode(buffer);
  },
});

const lz4Codec = () => ({
  async compress(encoder: { buffer: Buffer }) {
    return Buffer.from(lz4.compress(encoder.buffer));
  },
  async decompress(buffer: Buffer) {
    return Buffer.from(lz4.decompress(buffer));
  },
});

const zstdCodec = () => ({
  async compress(): Promise<Buffer> {
    throw new Error('the bridge reads zstd batches but does not write them; produce with gzip, snappy or lz4');
  },
  async decompress(buffer: Buffer) {
    return Buffer.from(zstdDecompress(buffer));
  },
});

let registered = false;

/** Registers the codecs with kafkajs once per process. */
export function registerCodecs(): void {
  if (registered) return;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  registered = true;
  CompressionCodecs[CompressionTypes.Snappy] = snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = zstdCodec;
}
