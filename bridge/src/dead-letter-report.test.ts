import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_PREVIEW_BYTES, VALUE_PREVIEW_BYTES } from '../../protocol/dead-letters.ts';
import { REPLAY_ID_HEADER, isCopyOf, previewOf, replayRecord, reportOf } from './dead-letter-report.ts';

describe('previewOf', () => {
  it('keeps a short UTF-8 value whole, a null as null', () => {
    expect(previewOf(Buffer.from('{"a":"é"}'), 8192)).toEqual({
      text: '{"a":"é"}',
      encoding: 'utf8',
      bytes: 10,
      truncated: false,
    });
    expect(previewOf(null, 8192)).toEqual({ text: null, encoding: 'utf8', bytes: 0, truncated: false });
  });

  it('a binary value is base64 of its first bytes', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x1b, 0x80]);
    expect(previewOf(bytes, 2)).toEqual({
      text: Buffer.from([0xff, 0x00]).toString('base64'),
      encoding: 'base64',
      bytes: 4,
      truncated: true,
    });
  });

  it('property: at most max bytes, a prefix of the value, never a cut character, truncated iff longer', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 300 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        ),
        fc.integer({ min: 1, max: 200 }),
        (value, max) => {
          const p = previewOf(value, max);
          const kept = Buffer.from(p.text!, p.encoding === 'base64' ? 'base64' : 'utf8');
          expect(kept.length).toBeLessThanOrEqual(max);
          expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
          expect(p.bytes).toBe(value.length);
          expect(p.truncated).toBe(value.length > max);
          if (!p.truncated) expect(kept.length).toBe(value.length);
          if (p.encoding === 'utf8') expect(kept.length).toBeGreaterThanOrEqual(Math.min(value.length, max) - 3);
        },
      ),
    );
  });
});

describe('reportOf', () => {
  const letter = (headers: Record<string, string>, value: Buffer | null = Buffer.from('{bad')) => ({
    partition: 1,
    offset: '42',
    key: Buffer.from('k'),
    value,
    headers,
    timestamp: '1764670000000',
  });

  it('names the DLQ coordinates, the origin from the DLQ topic, the reason, the own headers', () => {
    const r = reportOf(
      'port-events.dlq',
      letter({
        'x-error': 'not JSON',
        'x-original-topic': 'elsewhere',
        'x-original-partition': '3',
        'x-original-offset': '17',
        trace: 't',
      }),
    );
    expect(r).toEqual({
      dlqTopic: 'port-events.dlq',
      dlqPartition: 1,
      dlqOffset: '42',
      topic: 'port-events',
      partition: 3,
      offset: '17',
      key: 'k',
      keyEncoding: 'utf8',
      reason: 'not JSON',
      deadAt: 1764670000000,
      value: '{bad',
      valueEncoding: 'utf8',
      valueBytes: 4,
      valueTruncated: false,
      headers: { trace: 't' },
    });
  });

  it('property: whatever the headers and value, the report stays within the bounds the Worker takes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 300 }), fc.string({ maxLength: 3000 }), { maxKeys: 50 }),
        fc.uint8Array({ maxLength: 20_000 }),
        (headers, value) => {
          const r = reportOf('t.dlq', letter(headers, Buffer.from(value)));
          expect(r.value!.length).toBeLessThanOrEqual(Math.ceil(VALUE_PREVIEW_BYTES / 3) * 4);
          expect(r.key!.length).toBeLessThanOrEqual(KEY_PREVIEW_BYTES);
          expect(Object.keys(r.headers).length).toBeLessThanOrEqual(32);
          expect(r.reason.length).toBeLessThanOrEqual(2000);
          expect(Number.isInteger(r.partition) && r.partition >= 0).toBe(true);
          expect(r.offset).toMatch(/^\d{1,19}$/);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('replayRecord', () => {
  const claimed = {
    id: 'r-1',
    dlqTopic: 'port-events.dlq',
    dlqPartition: 0,
    dlqOffset: '5',
    topic: 'port-events',
    partition: 2,
    key: 'k',
    keyEncoding: 'utf8' as const,
    value: '{"fixed":true}',
    valueEncoding: 'utf8' as const,
    fromDlq: false,
    tombstone: false,
    headers: { trace: 't', 'x-error': 'old', 'x-quaycast-replay-id': 'forged' },
  };

  it('produces to the original topic and partition with the key, own headers and both replay headers', () => {
    const r = replayRecord(claimed, ['port-events']);
    expect(r).toEqual({
      ok: true,
      topic: 'port-events',
      partition: 2,
      key: Buffer.from('k'),
      value: Buffer.from('{"fixed":true}'),
      headers: { trace: 't', 'x-quaycast-replay-of': 'port-events.dlq:0:5', [REPLAY_ID_HEADER]: 'r-1' },
    });
    if (r.ok) expect(isCopyOf('r-1', r.headers)).toBe(true);
  });

  it('refuses a topic that is not the DLQ’s or not consumed, and a value to be read from the DLQ', () => {
    expect(replayRecord({ ...claimed, topic: 'other' }, ['port-events', 'other']).ok).toBe(false);
    expect(replayRecord(claimed, ['container-events']).ok).toBe(false);
    expect(replayRecord({ ...claimed, fromDlq: true, value: null }, ['port-events']).ok).toBe(false);
  });

  it('decodes base64 values exactly', () => {
    const bytes = Buffer.from([0, 255, 27, 128]);
    const r = replayRecord({ ...claimed, value: bytes.toString('base64'), valueEncoding: 'base64' }, ['port-events']);
    expect(r.ok && r.value!.equals(bytes)).toBe(true);
  });
});
