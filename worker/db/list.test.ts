import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, ftsQuery } from './list.ts';

describe('worker > db/list cursors and text queries', () => {
  it('round-trips both cursor kinds through base64url', () => {
    const r = { kind: 'received', receivedAt: 1767225600000, id: 'évt/+=,"x' } as const;
    const s = { kind: 'seq', seq: 42 } as const;
    expect(encodeCursor(r)).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encodeCursor(r))).toEqual(r);
    expect(decodeCursor(encodeCursor(s))).toEqual(s);
  });

  it('rejects anything it did not issue', () => {
    for (const bad of ['', 'garbage!', btoa('{"a":1}'), btoa('["s",-1]'), btoa('["r","x","y"]'), btoa('["s",1.5]')])
      expect(decodeCursor(bad)).toBeUndefined();
  });

  it('turns free text into quoted prefix terms, making FTS5 syntax inert', () => {
    expect(ftsQuery('Crane berth-4')).toBe('"Crane"* "berth"* "4"*');
    expect(ftsQuery('" OR NEAR( * -x')).toBe('"OR"* "NEAR"* "x"*');
    expect(ftsQuery('  ,;  ')).toBeUndefined();
    expect(ftsQuery('Zürich')).toBe('"Zürich"*');
  });
});
