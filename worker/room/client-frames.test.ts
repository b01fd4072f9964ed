import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../protocol/enums.ts';
import { MAX_CLIENT_FRAME_BYTES } from '../../protocol/room.ts';
import { countFrame, readClientFrame } from './client-frames.ts';

const utf8 = new TextEncoder();

describe('worker > room > client-frames > readClientFrame', () => {
  it('reads an ack and a subscribe, folding repeated severities and taking none or all four as everything', () => {
    expect(readClientFrame('{"type":"ack","seq":41}')).toEqual({ kind: 'ack', seq: 41 });
    expect(readClientFrame('{"type":"subscribe","severities":["High","High"]}')).toEqual({
      kind: 'subscribe',
      severities: ['High'],
    });
    expect(readClientFrame('{"type":"subscribe","severities":["High","High","High","High"]}')).toEqual({
      kind: 'subscribe',
      severities: ['High'],
    });
    expect(readClientFrame('{"type":"subscribe","severities":[]}')).toEqual({ kind: 'subscribe', severities: null });
    expect(readClientFrame(JSON.stringify({ type: 'subscribe', severities: [...SEVERITIES] }))).toEqual({
      kind: 'subscribe',
      severities: null,
    });
  });

  it('calls binary, non-JSON and wrong shapes bad frames, naming the field; anything over the bound is too big first', () => {
    expect(readClientFrame(new ArrayBuffer(8))).toEqual({
      kind: 'bad_frame',
      message: 'binary frames are not part of the protocol',
    });
    expect(readClientFrame('hello')).toEqual({ kind: 'bad_frame', message: 'frames must be JSON (or the text ping)' });
    const wrong = readClientFrame('{"type":"ack","seq":-1}');
    expect(wrong.kind).toBe('bad_frame');
    expect(wrong.kind === 'bad_frame' && wrong.message).toMatch(/^seq: /);
    expect(readClientFrame(new ArrayBuffer(MAX_CLIENT_FRAME_BYTES + 1)).kind).toBe('too_big');
    // 4 KiB in UTF-16 units but more in UTF-8: the bound is in bytes.
    expect(readClientFrame('é'.repeat(MAX_CLIENT_FRAME_BYTES / 2 + 1)).kind).toBe('too_big');
  });

  it('property: never throws, and a frame is too big exactly when its UTF-8 bytes exceed the bound', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 3000 }),
          fc.json({ maxDepth: 4 }),
          fc.string({ minLength: 4000, maxLength: 4200 }),
        ),
        (text) => {
          const verdict = readClientFrame(text);
          expect(verdict.kind === 'too_big').toBe(utf8.encode(text).byteLength > MAX_CLIENT_FRAME_BYTES);
          if (verdict.kind === 'subscribe' && verdict.severities) {
            expect(new Set(verdict.severities).size).toBe(verdict.severities.length);
            expect(verdict.severities.length).toBeLessThan(SEVERITIES.length);
          }
        },
      ),
    );
  });
});

describe('worker > room > client-frames > countFrame', () => {
  it('allows clientFramesPerWindow frames per window and starts a new window once it has passed', () => {
    const limits = { clientFramesPerWindow: 3, clientWindowMs: 1000 };
    const w = { frames: 0, start: 0 };
    expect([1, 2, 3].map((t) => countFrame(w, t, limits))).toEqual([true, true, true]);
    expect(countFrame(w, 999, limits)).toBe(false);
    expect(countFrame(w, 1001, limits)).toBe(true); // a new window
    expect(w).toEqual({ frames: 1, start: 1001 });
  });
});
