import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONTAINER_ENTRIES,
  MAX_EXTRA_NESTING_DEPTH,
  MAX_ISSUES_PER_EVENT,
  MAX_JSON_FIELD_BYTES,
  MAX_NESTING_DEPTH,
} from './event-bounds.ts';
import type { NewEvent } from '../event.ts';
import { isWellFormed } from '../json-shape.ts';
import { MAX_REASON_CHARS, describeIssues } from '../reason.ts';
import { canonicalize, normalizeEvent, producerIdOf, type IngestContext, type NormalizeResult } from './normalize.ts';
import { hasProtoKey, plainJson } from '../../test/support/json-arbitraries.ts';

const ctx: IngestContext = {
  kind: 'kafka',
  topic: 'port-events',
  partition: 0,
  offset: '7',
  receivedAt: Date.UTC(2026, 10, 29, 9),
};
const base = { id: 'evt-1', eventType: 'GateIn', title: 'Container gated in' };

/** Arrays nested `n` levels deep (the outermost is level 1), built without recursion. */
function nested(n: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < n; i++) v = [v];
  return v;
}

function issues(raw: unknown): { path: string; message: string }[] {
  const r = normalizeEvent(raw, ctx);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.event).slice(0, 200)}`);
  return r.issues;
}

function accepted(raw: unknown): NewEvent {
  const r = normalizeEvent(raw, ctx);
  if (!r.ok) throw new Error(`expected acceptance, got ${describeIssues(r.issues)}`);
  return r.event;
}

describe('protocol > normalizeEvent > shape bounds', () => {
  it('rejects eventData nested 5,000 levels deep (the record of issue #11) naming the field, without a stack overflow', () => {
    // As the bridge hands it over: JSON text, ~10 KB (JSON.stringify of it overflows the stack in this test worker).
    const raw = JSON.parse(
      `{"id":"evt-1","eventType":"GateIn","title":"Container gated in","eventData":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
    ) as unknown;
    expect(issues(raw)).toEqual([{ path: 'eventData', message: `nested deeper than ${MAX_NESTING_DEPTH} levels` }]);
  });

  it('accepts eventData and metadata of exactly 32 levels and rejects 33', () => {
    const at = (n: number) => ({ a: nested(n - 1) }); // the field's own object is level 1
    expect(accepted({ ...base, eventData: at(32), metadata: at(32) }).eventData).toEqual(at(32));
    expect(issues({ ...base, eventData: at(33) })).toEqual([
      { path: 'eventData', message: 'nested deeper than 32 levels' },
    ]);
    expect(issues({ ...base, Metadata: at(33) })).toEqual([
      { path: 'metadata', message: 'nested deeper than 32 levels' },
    ]);
  });

  it('bounds an unknown property at 30 levels, so metadata.extra.<name> keeps metadata within 32', () => {
    const event = accepted({ ...base, gate: nested(MAX_EXTRA_NESTING_DEPTH), metadata: { extra: { old: 1 } } });
    expect(event.metadata).toEqual({ extra: { old: 1, gate: nested(MAX_EXTRA_NESTING_DEPTH) } });
    expect(issues({ ...base, gate: nested(MAX_EXTRA_NESTING_DEPTH + 1) })).toEqual([
      { path: 'gate', message: 'nested deeper than 30 levels' },
    ]);
  });

  it('rejects metadata whose own extra plus the unknown properties together break a bound', () => {
    const own = Object.fromEntries(Array.from({ length: MAX_CONTAINER_ENTRIES }, (_, i) => [`k${i}`, i]));
    expect(issues({ ...base, metadata: { extra: own }, more: 1 })).toEqual([
      {
        path: 'metadata.extra',
        message: `with unknown properties (metadata.extra) has more than ${MAX_CONTAINER_ENTRIES} keys`,
      },
    ]);
  });

  it('rejects a non-object metadata.extra when there are unknown properties to merge into it (no scattering into numbered keys)', () => {
    expect(issues({ ...base, metadata: { extra: 'abc' }, gate: 3 })).toEqual([
      { path: 'metadata.extra', message: 'must be an object: the unknown properties are merged into it' },
    ]);
    expect(accepted({ ...base, metadata: { extra: 'abc' } }).metadata).toEqual({ extra: 'abc' });
    expect(accepted({ ...base, metadata: { extra: null }, gate: 3 }).metadata).toEqual({ extra: { gate: 3 } });
  });

  it('rejects wide payloads: more than 1,000 keys in an object or elements in an array, or properties of the event', () => {
    expect(issues({ ...base, eventData: { list: new Array(1001).fill(0) } })).toEqual([
      { path: 'eventData.list', message: 'has more than 1000 elements' },
    ]);
    const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`p${i}`, 0]));
    expect(issues({ ...base, ...wide })).toEqual([{ path: '(root)', message: 'has more than 1000 properties' }]);
  });

  it('rejects oversized strings and fields before validating them', () => {
    expect(issues({ ...base, title: 'x'.repeat(4 * 1024 * 1024) })).toEqual([
      { path: 'title', message: `has a string longer than ${MAX_JSON_FIELD_BYTES} bytes` },
    ]);
    expect(issues({ ...base, eventData: { a: 'x'.repeat(9000), b: 'y'.repeat(9000) } })).toEqual([
      { path: 'eventData', message: `must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized` },
    ]);
    expect(issues({ ...base, eventData: { big: 'x'.repeat(17 * 1024) } })).toEqual([
      { path: 'eventData', message: `must be at most ${MAX_JSON_FIELD_BYTES} bytes serialized` },
    ]);
  });

  it('rejects numbers that are not finite (1e400 parses as Infinity; JSON would store null)', () => {
    expect(issues(JSON.parse('{"eventType":"X","title":"T","eventData":{"reading":1e400}}'))).toEqual([
      { path: 'eventData.reading', message: 'has a number out of range (not finite)' },
    ]);
    expect(issues(JSON.parse('{"eventType":"X","title":"T","id":1e400}'))).toEqual([
      { path: 'id', message: 'has a number out of range (not finite)' },
    ]);
    expect(accepted(JSON.parse('{"eventType":"X","title":"T","id":1e21}')).id).toBe('1e+21');
  });

  it('rejects a __proto__ key anywhere instead of dropping it silently, and keeps constructor/prototype keys', () => {
    expect(issues(JSON.parse('{"eventType":"X","title":"T","__proto__":{"isAdmin":true}}'))).toEqual([
      { path: '__proto__', message: 'is not an allowed property name' },
    ]);
    expect(issues(JSON.parse('{"eventType":"X","title":"T","eventData":{"__proto__":{"x":1}}}'))).toEqual([
      { path: 'eventData.__proto__', message: 'has the key "__proto__", which is not allowed' },
    ]);
    const event = accepted(
      JSON.parse('{"eventType":"X","title":"T","constructor":"c","eventData":{"prototype":{"constructor":1}}}'),
    );
    expect(event.metadata).toEqual({ extra: { constructor: 'c' } });
    expect(event.eventData).toEqual({ prototype: { constructor: 1 } });
  });

  it('canonicalize keeps an unknown __proto__ property as data (own property), never as a prototype', () => {
    const { extra } = canonicalize(JSON.parse('{"__proto__":{"isAdmin":true}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    expect(Object.keys(extra)).toEqual(['__proto__']);
  });

  it('repairs lone surrogates in text (a .NET Substring can cut an emoji) but rejects them in the id', () => {
    const event = accepted(JSON.parse('{"eventType":"X","title":"Crane \\ud83c","eventData":{"note":"\\udc00"}}'));
    expect(event.title).toBe('Crane \ufffd');
    expect(event.eventData).toEqual({ note: '\ufffd' });
    expect(issues(JSON.parse('{"eventType":"X","title":"T","eventId":"a\\ud800"}'))).toEqual([
      { path: 'id', message: 'must be well-formed Unicode (it has a lone UTF-16 surrogate)' },
    ]);
    expect(issues(JSON.parse('{"eventType":"X","title":"T","eventData":{"k\\ud800":1}}'))[0]!.message).toContain(
      'lone surrogate',
    );
  });

  it('rejects control characters in ids and text (tab, LF and CR stay allowed in text)', () => {
    expect(issues({ ...base, title: 'a\u0000b' })).toEqual([
      { path: 'title', message: 'must not contain control characters (only tab, LF and CR are allowed in text)' },
    ]);
    expect(issues({ ...base, id: 'a\tb' })).toEqual([{ path: 'id', message: 'must not contain control characters' }]);
    expect(issues({ ...base, containerId: 'MSCU\u001b[2J' }).map((i) => i.path)).toEqual(['containerId']);
    expect(accepted({ ...base, description: 'line 1\r\n\tline 2' }).description).toBe('line 1\r\n\tline 2');
  });

  it('still validates the fields within bounds, so one answer names every bad field (once)', () => {
    expect(
      issues({ eventType: 'X', title: 'x'.repeat(300), severity: 'Huge', eventData: { a: nested(40) } }).map(
        (i) => i.path,
      ),
    ).toEqual(['eventData', 'severity', 'title']);
    expect(issues({ eventType: 'X', title: 'y'.repeat(20_000) }).map((i) => i.path)).toEqual(['title']);
  });

  it('reports at most 20 issues per event, the last counting the rest', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, nested(40)]));
    const found = issues({ ...base, ...many });
    expect(found).toHaveLength(MAX_ISSUES_PER_EVENT);
    expect(found.at(-1)).toEqual({ path: '(root)', message: 'and 31 more issues' });
  });

  it('makes the reason one short printable line: control characters escaped, at most 1,000 characters', () => {
    const reason = describeIssues([{ path: 'x', message: `bad \u001b[31m\u0000 ${'y'.repeat(5000)}` }]);
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(reason).toContain('\\u001b[31m\\u0000');
    expect(reason).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('protocol > producerIdOf', () => {
  it('reads the id as canonicalize does: any case and alias, first non-null, numbers as strings, never a bad one', () => {
    expect(producerIdOf({ EventId: 42, title: 5 })).toBe('42');
    expect(producerIdOf({ id: null, eventId: 'b' })).toBe('b');
    expect(producerIdOf({ ID: 'a', eventId: 'b' })).toBe('a');
    expect(producerIdOf({ id: 'a\ud800' })).toBeUndefined();
    expect(producerIdOf({ id: 'x'.repeat(201) })).toBeUndefined();
    expect(producerIdOf({ id: Infinity })).toBeUndefined();
    expect(producerIdOf({ id: ['a'] })).toBeUndefined();
    expect(producerIdOf([{ id: 'a' }])).toBeUndefined();
    expect(producerIdOf('a')).toBeUndefined();
  });

  it('the outbox round trip of an event with metadata near 16 KiB is rejected (so ingest answers it by id)', () => {
    const first = normalizeEvent(
      { id: 'big', eventType: 'X', title: 'T', metadata: { note: 'x'.repeat(16_300) } },
      { kind: 'api', receivedAt: ctx.receivedAt, newId: () => 'unused' },
    );
    if (!first.ok) throw new Error(describeIssues(first.issues));
    const republished = JSON.parse(JSON.stringify({ ...first.event, seq: 5 })) as unknown;
    expect(normalizeEvent(republished, ctx).ok).toBe(false);
    expect(producerIdOf(republished)).toBe('big');
  });
});

describe('protocol > normalizeEvent > Kafka lineage bounds', () => {
  it('cuts the key without splitting a surrogate pair and keeps the first 16 of 10,000 headers, names as data', () => {
    const headers = JSON.parse(
      `{"__proto__":"p",${Array.from({ length: 10_000 }, (_, i) => `"h${i}":"v"`).join(',')}}`,
    ) as Record<string, string>;
    const r = normalizeEvent(base, { ...ctx, key: `${'k'.repeat(255)}😀tail`, headers });
    const origin = r.ok ? r.event.origin : undefined;
    if (origin?.kind !== 'kafka') throw new Error('expected a kafka origin');
    expect(origin.key).toBe('k'.repeat(255));
    expect(Object.keys(origin.headers ?? {})).toHaveLength(16);
    expect(Object.keys(origin.headers ?? {})[0]).toBe('__proto__');
    expect(isWellFormed(JSON.stringify(origin))).toBe(true);
  });
});

/** A small valid event (canonical names), for the properties below. */
const validEvent = fc.record({
  id: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
  eventType: fc.constantFrom('GateIn', 'BerthAssigned', 'CraneFault'),
  title: fc
    .string({ minLength: 1, maxLength: 80 })
    .filter((s) => s.trim().length > 0 && !/[\u0000-\u001f\u007f]/.test(s))
    .map((s) => s.trim()),
  eventData: fc.dictionary(
    fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
    plainJson(3),
    { maxKeys: 5 },
  ),
});

describe('protocol > normalizeEvent > properties', () => {
  it('never throws, whatever the JSON (arbitrary values, deep and wide ones, hostile keys)', () => {
    const hostile = fc.oneof(
      fc.jsonValue(),
      fc.integer({ min: 30, max: 3000 }).map((n) => ({ ...base, eventData: { a: nested(n) } })),
      fc.integer({ min: 30, max: 3000 }).map((n) => ({ ...base, Extra: nested(n) })),
      fc
        .dictionary(
          fc.constantFrom(
            '__proto__',
            'constructor',
            'prototype',
            'toString',
            'id',
            'ID',
            'eventId',
            'Title',
            'metadata',
          ),
          fc.jsonValue({ maxDepth: 2 }),
        )
        .map((d) => JSON.parse(JSON.stringify({ ...base, ...d })) as unknown),
      fc
        .json()
        .map(
          (text) =>
            JSON.parse(
              `{"eventType":"X","title":"T","__proto__":${text},"eventData":{"__proto__":${text}}}`,
            ) as unknown,
        ),
    );
    fc.assert(
      fc.property(hostile, (raw) => {
        const r: NormalizeResult = normalizeEvent(raw, ctx);
        if (!r.ok) expect(r.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('stores what it pushes: an accepted event survives a JSON round trip unchanged and has only well-formed strings', () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        (event, extras) => {
          const raw = JSON.parse(JSON.stringify({ ...extras, ...event })) as unknown;
          const r = normalizeEvent(raw, ctx);
          if (!r.ok) return; // an extra named like a field (e.g. "title": 5) may make it invalid: rejected is fine
          const text = JSON.stringify(r.event);
          expect(JSON.parse(text)).toEqual(r.event);
          expect(isWellFormed(text)).toBe(true);
          expect(JSON.stringify(r.event.eventData)).toBe(JSON.stringify(event.eventData)); // JSON cannot tell -0 from 0
        },
      ),
      { numRuns: 300 },
    );
  });

  it('regression (seed -262614471): the valid-event generator made eventData {"": {"__proto__": 0}}, which is rightly refused; generators now keep __proto__ out at every depth', () => {
    const r = normalizeEvent(
      JSON.parse('{"id":" ","eventType":"GateIn","title":"!","eventData":{"":{"__proto__":0}}}'),
      ctx,
    );
    expect(r.ok).toBe(false);
    expect(hasProtoKey(JSON.parse('{"a":[{"b":{"__proto__":1}}]}'))).toBe(true);
    expect(hasProtoKey(JSON.parse('{"a":[{"b":{"proto":1}}]}'))).toBe(false);
  });

  it('accepts every valid event again as the outbox republishes it (the stored event with its seq), so the round trip is a duplicate, not a dead letter', () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__'),
          plainJson(2),
          { maxKeys: 3 },
        ),
        (event, metadata) => {
          const first = normalizeEvent(
            { ...event, metadata },
            { kind: 'api', receivedAt: ctx.receivedAt, newId: () => 'unused' },
          );
          if (!first.ok) throw new Error(describeIssues(first.issues));
          const republished = JSON.parse(JSON.stringify({ ...first.event, seq: 41 })) as unknown;
          const again = normalizeEvent(republished, ctx);
          if (!again.ok) throw new Error(describeIssues(again.issues));
          expect(again.event.id).toBe(first.event.id);
        },
      ),
      { numRuns: 300 },
    );
  });
});
