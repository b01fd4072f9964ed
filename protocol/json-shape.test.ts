import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundJson, formatPath, isWellFormed, setOwn, wellFormed, type ShapeBounds } from './json-shape.ts';
import { plainJson } from '../test/support/json-arbitraries.ts';

const LOOSE: ShapeBounds = { maxDepth: 1_000_000, maxEntries: 1_000_000, maxStringBytes: 1_000_000 };
const utf8 = new TextEncoder();

/** Any UTF-16 code units, lone surrogates included (fast-check's string units are all well-formed). */
const codeUnits = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0xd800, 0xdbff, 0xdc00, 0xdfff, 0x41)), {
    maxLength: 20,
  })
  .map((units) => String.fromCharCode(...units));

/** Arrays nested `n` deep around `inner`, built without recursion. */
function nested(n: number, inner: unknown = []): unknown {
  let v = inner;
  for (let i = 1; i < n; i++) v = [v];
  return v;
}

/** The depth of a small JSON value, the obvious recursive way (a reference for the iterative walk). */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('protocol > json-shape > wellFormed', () => {
  it('counts UTF-8 bytes as TextEncoder does and replaces lone surrogates as toWellFormed does', () => {
    fc.assert(
      fc.property(codeUnits, (s) => {
        const r = wellFormed(s);
        const expected = (s as unknown as { toWellFormed(): string }).toWellFormed();
        expect(r.text).toBe(expected);
        expect(r.utf8Bytes).toBe(utf8.encode(expected).length);
        expect(r.repaired).toBe(expected !== s);
        expect(isWellFormed(s)).toBe(!r.repaired);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps surrogate pairs (emoji) and returns the same string when nothing is wrong', () => {
    const s = 'crane 🏗️ at berth';
    expect(wellFormed(s)).toEqual({ text: s, utf8Bytes: utf8.encode(s).length, repaired: false });
    expect(wellFormed('cut \ud83c').text).toBe('cut \ufffd');
  });
});

describe('protocol > json-shape > boundJson', () => {
  it('returns an equal copy of any JSON value within loose bounds, and a byte count that is a lower bound of JSON.stringify', () => {
    fc.assert(
      fc.property(plainJson(), (v) => {
        const r = boundJson(v, LOOSE);
        if (!r.ok) throw new Error(`rejected ${JSON.stringify(v)}: ${r.issue.message}`);
        expect(JSON.stringify(r.value)).toBe(JSON.stringify(v));
        const serialized = JSON.stringify(v);
        const bytes = utf8.encode(serialized).length;
        expect(r.bytes).toBeLessThanOrEqual(bytes);
        if (!serialized.includes('\\')) expect(r.bytes).toBe(bytes); // exact when nothing is escaped
      }),
      { numRuns: 300 },
    );
  });

  it('accepts exactly the values whose depth is within maxDepth (checked against a recursive reference)', () => {
    fc.assert(
      fc.property(plainJson(8), fc.integer({ min: 1, max: 8 }), (v, maxDepth) => {
        const r = boundJson(v, { ...LOOSE, maxDepth });
        expect(r.ok).toBe(depthOf(v) <= maxDepth);
        if (!r.ok)
          expect(r.issue).toMatchObject({ kind: 'depth', path: [], message: `nested deeper than ${maxDepth} levels` });
      }),
      { numRuns: 300 },
    );
  });

  it('answers for 100,000 levels of nesting without a stack overflow', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify({ a: nested(1_000_000) })).toThrow(RangeError); // what a recursive walk meets
    const r = boundJson(deep, { ...LOOSE, maxDepth: 32 });
    expect(r).toEqual({ ok: false, issue: { kind: 'depth', path: [], message: 'nested deeper than 32 levels' } });
    expect(boundJson(deep, LOOSE).ok).toBe(true);
  });

  it('bounds entries per object and array, string bytes and the shared byte budget, naming the path', () => {
    const bounds: ShapeBounds = { maxDepth: 10, maxEntries: 3, maxStringBytes: 8 };
    expect(boundJson({ a: [1, 2, 3, 4] }, bounds)).toMatchObject({
      ok: false,
      issue: { kind: 'entries', path: ['a'] },
    });
    expect(boundJson({ a: { b: 1, c: 2, d: 3, e: 4 } }, bounds)).toMatchObject({
      ok: false,
      issue: { kind: 'entries', path: ['a'] },
    });
    expect(boundJson({ a: ['x', 'é'.repeat(5)] }, bounds)).toMatchObject({
      ok: false,
      issue: { kind: 'string', path: ['a', 1] },
    });
    expect(boundJson({ ['k'.repeat(9)]: 1 }, bounds)).toMatchObject({
      ok: false,
      issue: { kind: 'string', path: ['k'.repeat(9)] },
    });
    const budget = { bytes: 20 };
    expect(boundJson({ a: 'abcdef' }, bounds, budget)).toMatchObject({ ok: true, bytes: 14 }); // {"a":"abcdef"}
    expect(budget.bytes).toBe(6);
    expect(boundJson([1234567], bounds, budget)).toMatchObject({ ok: false, issue: { kind: 'bytes', path: [] } });
  });

  it('refuses non-finite numbers, non-JSON values and the __proto__ key, naming where', () => {
    expect(boundJson(JSON.parse('{"n":[1,1e400]}'), LOOSE)).toMatchObject({
      ok: false,
      issue: { kind: 'number', path: ['n', 1] },
    });
    expect(boundJson({ d: new Date(0) }, LOOSE)).toMatchObject({ ok: false, issue: { kind: 'type', path: ['d'] } });
    expect(boundJson({ f: () => 1 }, LOOSE)).toMatchObject({ ok: false, issue: { kind: 'type', path: ['f'] } });
    expect(boundJson(10n, LOOSE)).toMatchObject({ ok: false, issue: { kind: 'type', path: [] } });
    expect(boundJson(JSON.parse('{"a":{"__proto__":{"polluted":true}}}'), LOOSE)).toMatchObject({
      ok: false,
      issue: { kind: 'key', path: ['a', '__proto__'] },
    });
    expect(boundJson(JSON.parse('{"a\\ud800":1}'), LOOSE)).toMatchObject({ ok: false, issue: { kind: 'key' } });
  });

  it('repairs lone surrogates in string values, keeps constructor/prototype keys as plain data', () => {
    const r = boundJson(JSON.parse('{"t":"a\\ud800b","constructor":{"prototype":1},"list":["\\udfff"]}'), LOOSE);
    expect(r.ok).toBe(true);
    const v = (r as { value: Record<string, unknown> }).value;
    expect(v).toEqual({ t: 'a\ufffdb', constructor: { prototype: 1 }, list: ['\ufffd'] });
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['t', 'constructor', 'list']);
  });

  it('drops undefined properties and turns undefined array elements into null, as JSON.stringify does', () => {
    expect(boundJson({ a: undefined, b: [undefined, 1] }, LOOSE)).toMatchObject({ ok: true, value: { b: [null, 1] } });
  });

  it('never throws and returns only well-formed strings, for any code units in keys and values', () => {
    const hostile = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        codeUnits,
        fc.double(),
        fc.constant(null),
        fc.boolean(),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.array(fc.tuple(codeUnits, tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
      ),
    })).value;
    fc.assert(
      fc.property(hostile, fc.integer({ min: 1, max: 6 }), (v, maxDepth) => {
        const r = boundJson(v, { maxDepth, maxEntries: 3, maxStringBytes: 30 });
        if (r.ok) {
          const text = JSON.stringify(r.value);
          expect(isWellFormed(text)).toBe(true);
          expect(text).not.toContain('\\ud8'); // no escaped lone high surrogate either
        } else {
          expect(r.issue.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('protocol > json-shape > setOwn and formatPath', () => {
  it('sets __proto__ as an own property instead of a prototype', () => {
    const o: Record<string, unknown> = {};
    setOwn(o, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(JSON.stringify(o)).toBe('{"__proto__":{"polluted":true}}');
  });

  it('prints plain keys bare and hostile ones quoted, short and printable', () => {
    expect(formatPath([])).toBe('(root)');
    expect(formatPath(['eventData', 'items', 3])).toBe('eventData.items.3');
    expect(formatPath(['eventData', 'a b\u0000'])).toBe('eventData."a b\\u0000"');
    expect(formatPath(['x'.repeat(100)])).toBe(`"${'x'.repeat(64)}…"`);
    expect(formatPath([1, 2, 3, 4, 5, 6, 7, 8])).toBe('1.2.3.4.5.6.…');
  });
});
