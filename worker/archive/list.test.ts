import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuaycastEvent } from '../../protocol/event.ts';
import { compareIds, passes } from './list.ts';

describe('archive > merging with D1', () => {
  it('property: orders ids as SQLite orders TEXT (UTF-8 bytes), not as JS compares UTF-16 units', () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        expect(Math.sign(compareIds(a, b))).toBe(bytes);
      }),
      { numRuns: 2000 },
    );
    expect(compareIds('\u{1F600}', '\uFFFF')).toBe(1); // JS's `<` says the opposite
  });

  it('filters an archived event as the SQL filter does', () => {
    const e = {
      category: 'Ship',
      severity: 'High',
      status: 'Resolved',
      receivedAt: '2026-11-20T10:00:00.000Z',
    } as QuaycastEvent;
    const at = Date.parse(e.receivedAt);
    expect(passes(e, { category: 'Ship' }, false)).toBe(true);
    expect(passes(e, { category: 'Port' }, false)).toBe(false);
    expect(passes(e, { category: 'Port' }, true)).toBe(true); // the changefeed's room is fixed by the query
    expect(passes(e, { scope: ['Container'] }, false)).toBe(false);
    expect(passes(e, { severities: ['Critical', 'High'] }, false)).toBe(true);
    expect(passes(e, { statuses: ['New'] }, false)).toBe(false);
    expect(passes(e, { from: at, to: at + 1 }, false)).toBe(true);
    expect(passes(e, { from: at + 1 }, false)).toBe(false);
    expect(passes(e, { to: at }, false)).toBe(false);
  });
});
