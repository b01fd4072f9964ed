/**
 * Shared arbitraries and checks of the fuzz tests (fast-check against the real app in workerd).
 * Every generated id, sub and offset is unique to its run, so fuzz tests share nothing with
 * other test files but the rooms themselves.
 */
import { SELF, env } from 'cloudflare:test';
import fc from 'fast-check';
import { expect } from 'vitest';
import { BASE, apiAs, uid } from './helpers.ts';

/** Runs per property: each run is a few requests, so a property takes a few seconds. */
export const RUNS = { ingest: 40, api: 60, reads: 80, headers: 80 } as const;

/** Any UTF-16 code units, lone surrogates and NUL included (fast-check's own strings are all well-formed). */
export const codeUnits = (maxLength = 24) =>
  fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(0x00, 0x1b, 0x7f, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd, 0x22, 0x5c),
      ),
      { maxLength },
    )
    .map((units) => String.fromCharCode(...units));

/** Random bytes read as UTF-8 (invalid sequences become U+FFFD) and as Latin-1 (every byte one character). */
export const bytesAsText = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => new TextDecoder().decode(b)),
  fc.uint8Array({ maxLength: 64 }).map((b) => String.fromCharCode(...b)),
);

/**
 * Text a header value may hold: visible ASCII, space and tab (and many of the separators that
 * matter: % ; = , "). Not bytes 0x80-0xFF: the test client would send those re-encoded as UTF-8
 * with a warning per request, so they prove nothing about the Worker.
 */
export const headerText = (maxLength = 80) =>
  fc
    .array(fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom(0x09, 0x25, 0x3b, 0x3d, 0x2c, 0x22)), {
      maxLength,
    })
    .map((c) => String.fromCharCode(...c));

/** JSON text of `inner` wrapped in `n` arrays (written out: no recursive JSON.stringify of something that deep). */
export function nestedText(n: number, inner = ''): string {
  return `${'['.repeat(n)}${inner}${']'.repeat(n)}`;
}

/** JSON without `__proto__` keys (those are refused on purpose) and with no -0 (JSON cannot tell it from 0). */
export const plainJson = (maxDepth: number) =>
  fc.jsonValue({ maxDepth }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));

export type ValidCase = {
  kind: 'valid';
  value: string;
  id: string;
  title: string;
  eventType: string;
  eventData: string;
};
export type HostileCase = { kind: 'rejected' | 'any'; value: string; why: string };
export type RecordCase = ValidCase | HostileCase;

const CATEGORY_FIELDS = [
  {},
  { containerId: 'MSCU1234567' },
  { shipId: 'IMO 9321483' },
  { berthId: 'B4' },
  { portId: 'NLRTM' },
  { category: 'System' },
];

/** A valid event as JSON text, canonical or in legacy spellings, with a unique id. */
export const validCase: fc.Arbitrary<ValidCase> = fc
  .record({
    legacy: fc.boolean(),
    eventType: fc.constantFrom('GateIn', 'BerthAssigned', 'CraneFault', 'Weather'),
    title: fc
      .string({ minLength: 1, maxLength: 60 })
      .map((s) => `T ${s.replace(/[\u0000-\u001f\u007f]/g, ' ')}`.trim()),
    eventData: fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
      plainJson(3),
      { maxKeys: 4 },
    ),
    where: fc.constantFrom(...CATEGORY_FIELDS),
    severity: fc.constantFrom('Critical', 'high', 'Medium', 'low', undefined),
  })
  .map(({ legacy, eventType, title, eventData, where, severity }) => {
    const id = uid('fz');
    const event = legacy
      ? { EventId: id, EventType: eventType, Title: title, Priority: severity, EventData: eventData, ...where }
      : { id, eventType, title, severity, eventData, ...where };
    return {
      kind: 'valid',
      value: JSON.stringify(event),
      id,
      title,
      eventType,
      eventData: JSON.stringify(eventData),
    } satisfies ValidCase;
  });

const base = () => ({ id: uid('fzh'), eventType: 'GateIn', title: 'hostile neighbour' });
const withBase = (text: string) => `{"id":"${uid('fzh')}","eventType":"GateIn","title":"hostile",${text}}`;

/** Records that must be rejected: each breaks one rule on purpose. */
export const rejectedCase: fc.Arbitrary<HostileCase> = fc.oneof(
  fc.integer({ min: 33, max: 6000 }).map((n) => ({
    kind: 'rejected' as const,
    why: `eventData ${n} deep`,
    value: withBase(`"eventData":{"a":${nestedText(n - 1)}}`),
  })),
  fc.integer({ min: 31, max: 6000 }).map((n) => ({
    kind: 'rejected' as const,
    why: `unknown property ${n} deep`,
    value: withBase(`"zz":${nestedText(n)}`),
  })),
  fc.integer({ min: 1001, max: 3000 }).map((n) => ({
    kind: 'rejected' as const,
    why: `array of ${n}`,
    value: withBase(`"eventData":{"list":[${new Array(n).fill(0).join(',')}]}`),
  })),
  fc
    .constantFrom('"__proto__":{"isAdmin":true}', '"eventData":{"__proto__":{"x":1}}', '"metadata":{"__proto__":1}')
    .map((t) => ({ kind: 'rejected' as const, why: t, value: withBase(t) })),
  fc
    .constantFrom('1e400', '-1e400', '1e309')
    .map((n) => ({ kind: 'rejected' as const, why: `number ${n}`, value: withBase(`"eventData":{"n":${n}}`) })),
  fc.constantFrom('\u0000', '\u0007', '\u001b[2J', '\u007f').map((c) => ({
    kind: 'rejected' as const,
    why: 'control character in title',
    value: JSON.stringify({ ...base(), title: `t${c}t` }),
  })),
  fc.constantFrom('\\ud800', '\\udfff', 'x\\udbff').map((s) => ({
    kind: 'rejected' as const,
    why: 'lone surrogate id',
    value: `{"id":"${uid('fzs')}${s}","eventType":"X","title":"t"}`,
  })),
  fc.constantFrom('title', 'eventType').map((field) => {
    const e: Record<string, unknown> = base();
    delete e[field];
    return { kind: 'rejected' as const, why: `no ${field}`, value: JSON.stringify(e) };
  }),
  // Titles are trimmed before their length is checked: the filler must not be whitespace.
  fc
    .string({ minLength: 201, maxLength: 300 })
    .filter((t) => t.trim().length > 200)
    .map((t) => ({ kind: 'rejected' as const, why: 'long title', value: JSON.stringify({ ...base(), title: t }) })),
  plainJson(3)
    .filter((v) => v === null || typeof v !== 'object' || Array.isArray(v))
    .map((v) => ({ kind: 'rejected' as const, why: 'not an object', value: JSON.stringify(v) })),
  fc
    .constantFrom(
      '{',
      '{"id":',
      'not json',
      '',
      '\u0000',
      '{"a":1}}',
      '[',
      'NaN',
      'undefined',
      '{"x":1e400',
      '\ufeff{}',
    )
    .map((t) => ({ kind: 'rejected' as const, why: 'not JSON or not an event', value: t })),
);

const FIELDS = [
  'id',
  'eventType',
  'title',
  'severity',
  'priority',
  'status',
  'eventTime',
  'containerId',
  'shipId',
  'eventData',
  'metadata',
  'coordinates',
  'requiresAction',
  'description',
];
const LEGACY = [
  'EventId',
  'EventType',
  'TITLE',
  'Timestamp',
  'eventTimestamp',
  'type',
  'Priority',
  'Status',
  'ContainerId',
];

/** A valid event changed at random: a field dropped, replaced by any JSON, or renamed the legacy way. */
const mutation: fc.Arbitrary<HostileCase> = fc
  .record({
    op: fc.constantFrom('drop', 'replace', 'rename'),
    field: fc.constantFrom(...FIELDS),
    legacy: fc.constantFrom(...LEGACY),
    value: fc.oneof(
      plainJson(2),
      codeUnits(),
      fc.constantFrom(
        1e21,
        -0,
        2 ** 53 + 1,
        0.1,
        '',
        ' ',
        'In Progress',
        'critical',
        '2026-02-31',
        '2026-11-29T08:15:02.1234567',
        8.64e15,
        null,
      ),
    ),
  })
  .map(({ op, field, legacy, value }) => {
    const e: Record<string, unknown> = {
      id: uid('fzm'),
      eventType: 'GateIn',
      title: 'mutated',
      severity: 'Low',
      eventData: { a: 1 },
    };
    if (op === 'drop') delete e[field];
    else if (op === 'replace') e[field] = value;
    else e[legacy] = value;
    return { kind: 'any' as const, why: `${op} ${op === 'rename' ? legacy : field}`, value: JSON.stringify(e) };
  });

/** Records whose fate the test does not decide: arbitrary text, bytes, JSON, mutations. */
export const anyCase: fc.Arbitrary<HostileCase> = fc.oneof(
  codeUnits(40).map((v) => ({ kind: 'any' as const, why: 'code units', value: v })),
  bytesAsText.map((v) => ({ kind: 'any' as const, why: 'bytes', value: v })),
  fc.json({ maxDepth: 4 }).map((v) => ({ kind: 'any' as const, why: 'json', value: v })),
  fc
    .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }))
    .map((d) => ({ kind: 'any' as const, why: 'json object', value: JSON.stringify(d) })),
  codeUnits(30).map((s) => ({
    kind: 'any' as const,
    why: 'code units in a string field',
    value: `{"id":"${uid('fzc')}","eventType":"X","title":${JSON.stringify(`t${s}`)},"eventData":{"k":${JSON.stringify(s)}}}`,
  })),
  mutation,
);

/** Keys and headers of a record: none, hostile text, huge, prototype names, many. */
export const recordMeta = fc.record({
  key: fc.oneof(
    fc.constant(null),
    codeUnits(),
    fc.integer({ min: 300, max: 70_000 }).map((n) => `${'k'.repeat(n - 1)}\ud83d`),
  ),
  headers: fc.option(
    fc
      .array(
        fc.tuple(
          fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'traceparent'), codeUnits(12)),
          fc.oneof(codeUnits(), fc.constant('v'.repeat(5000))),
        ),
        { maxLength: 40 },
      )
      .map((entries) => Object.fromEntries(entries)),
    { nil: undefined },
  ),
});

/** Asserts the API's error shape on a 4xx response, and returns the parsed body. */
export async function expectErrorShape(
  res: Response,
): Promise<{ error: { code: string; message: string; details?: unknown } }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
  expect(typeof body.error.code).toBe('string');
  expect(body.error.code.length).toBeGreaterThan(0);
  expect(typeof body.error.message).toBe('string');
  return body;
}

/** Status is never 5xx; a 4xx carries the error shape. Returns the status. */
export async function expectNoServerError(res: Response): Promise<number> {
  if (res.status >= 500) throw new Error(`${res.status}: ${(await res.text()).slice(0, 300)}`);
  if (res.status >= 400) await expectErrorShape(res);
  return res.status;
}

/** The Worker still serves a valid write and its health check. */
export async function expectServing(sub = uid('serving')): Promise<void> {
  const id = uid('alive');
  const res = await apiAs('producer', sub, '/api/events', {
    method: 'POST',
    body: JSON.stringify({ id, eventType: 'Probe', title: 'still serving' }),
  });
  expect(res.status).toBe(201);
  const health = await SELF.fetch(`${BASE}/healthz`);
  expect(await health.json()).toMatchObject({ ok: true, db: 'ok' });
  const row = await env.DB.prepare('SELECT id FROM events WHERE id = ?').bind(id).first<{ id: string }>();
  expect(row?.id).toBe(id);
}

/** A stored event as D1 holds it: the row's seq and the JSON document. */
export async function storedRow(
  id: string,
): Promise<{ seq: number; category: string; title: string; doc: Record<string, unknown> } | null> {
  const row = await env.DB.prepare('SELECT seq, category, title, doc FROM events WHERE id = ?')
    .bind(id)
    .first<{ seq: number; category: string; title: string; doc: string }>();
  return row
    ? { seq: row.seq, category: row.category, title: row.title, doc: JSON.parse(row.doc) as Record<string, unknown> }
    : null;
}

let offsetCounter = 0;
/** A block of offsets no other run or test uses (ids of id-less records derive from them). */
export function freshOffsets(count: number): number {
  const start = 1e12 + Math.floor(Math.random() * 1e12) + offsetCounter;
  offsetCounter += count;
  return start;
}
