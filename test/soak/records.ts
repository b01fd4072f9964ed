/**
 * What the soak produces: valid events, odd-but-valid ones (that must be stored, not refused), and
 * hostile records (that must end in the topic's `.dlq`, each with a reason). Pure and seeded by
 * the record's number, so a run can say exactly what it expects where.
 */
import type { Category, Severity } from '../../protocol/enums.ts';

export const SOAK_ROOMS: readonly Category[] = ['Container', 'Ship', 'Berth', 'Port', 'System'];
export const SOAK_SEVERITIES: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low'];

/** One record the soak produces, and where it must end up. */
export type SoakRecord = {
  key: string;
  value: Buffer;
  /** 'stored': in D1 once and at every matching socket once; 'dead-letter': in `<topic>.dlq`. */
  expect: 'stored' | 'dead-letter';
  kind: string;
  /** For stored records: the room and severity a socket filters on. */
  room?: Category;
  severity?: Severity;
};

const ENTITY: Record<Category, Record<string, string>> = {
  Container: { containerId: 'MSCU1234565' },
  Ship: { shipId: '9321483' },
  Berth: { berthId: 'EMX-03' },
  Port: { portId: 'NLRTM' },
  System: {},
};

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function base(id: string, room: Category, severity: Severity): Record<string, unknown> {
  return {
    id,
    category: room,
    severity,
    eventType: `Soak${room}`,
    title: `Soak ${room} ${id}`,
    eventTime: new Date().toISOString(),
    ...ENTITY[room],
  };
}

/** A plain valid event. */
export function validRecord(id: string, room: Category, severity: Severity): SoakRecord {
  return { key: id, value: json(base(id, room, severity)), expect: 'stored', kind: 'valid', room, severity };
}

/** Odd shapes a real producer may send that are nevertheless valid events: stored, never refused. */
const ODD: ((id: string, room: Category, severity: Severity) => Buffer)[] = [
  // keys named like Object's own properties end up in metadata.extra as plain data
  (id, room, severity) =>
    Buffer.from(
      `{"constructor":{"prototype":{"x":1}},"toString":"no","hasOwnProperty":1,${JSON.stringify(base(id, room, severity)).slice(1)}`,
    ),
  // the whitespace controls text may hold: tab, line feed, carriage return
  (id, room, severity) => json({ ...base(id, room, severity), description: 'line one\r\nline two\ttabbed\n' }),
  // non-Latin text, emoji, right-to-left and combining marks
  (id, room, severity) => json({ ...base(id, room, severity), title: `Ærø 港口 🚢 ميناء e\u0301 ${id}` }),
  // huge and odd numbers in free-form data
  (id, room, severity) =>
    Buffer.from(
      `${JSON.stringify(base(id, room, severity)).slice(0, -1)},"eventData":{"big":1e308,"tiny":5e-324,"negZero":-0,"int":9007199254740993}}`,
    ),
  // the legacy .NET shape: PascalCase, Priority only, 7-digit fraction without a zone
  (id, room, severity) =>
    json({
      EventId: id,
      Category: room,
      EventType: `Soak${room}`,
      Title: `Legacy ${id}`,
      Priority: severity.toLowerCase(),
      Timestamp: '2026-11-29T08:15:02.1234567',
      ...ENTITY[room],
    }),
  // moderately nested and wide, within the bounds
  (id, room, severity) =>
    json({
      ...base(id, room, severity),
      eventData: {
        readings: Array.from({ length: 50 }, (_, i) => ({ i, t: -18 + i / 10 })),
        nest: { a: { b: { c: { d: { e: [1, [2, [3]]] } } } } },
      },
    }),
];

/** An odd-but-valid event (kind chosen by `n`). */
export function oddRecord(id: string, room: Category, severity: Severity, n: number): SoakRecord {
  const make = ODD[n % ODD.length]!;
  return { key: id, value: make(id, room, severity), expect: 'stored', kind: `odd-${n % ODD.length}`, room, severity };
}

function nested(depth: number, open: string, close: string, inner: string): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Hostile records: each can never be stored, so it must be dead-lettered with a reason. */
const HOSTILE: [kind: string, make: (key: string) => Buffer][] = [
  ['not-json', (key) => Buffer.from(`{"id":"${key}","eventType":"GateIn","title": "cut off`)],
  // the record from the issue: a valid event whose eventData holds an array nested 5,000 deep
  [
    'deep-array',
    (key) =>
      Buffer.from(
        `{"id":"${key}","eventType":"GateIn","title":"deep","containerId":"MSCU1234565","eventData":{"a":${nested(5000, '[', ']', '1')}}}`,
      ),
  ],
  [
    'deep-object',
    (key) =>
      Buffer.from(`{"id":"${key}","eventType":"GateIn","title":"deep","metadata":${nested(3000, '{"a":', '}', '1')}}`),
  ],
  [
    'deep-unknown-field',
    (key) => Buffer.from(`{"id":"${key}","eventType":"GateIn","title":"deep","Extra":${nested(4000, '[', ']', '0')}}`),
  ],
  ['missing-title', (key) => json({ id: key, eventType: 'GateIn', containerId: 'MSCU1234565' })],
  ['bad-enum', (key) => json({ id: key, eventType: 'GateIn', title: 'bad severity', severity: 'Apocalyptic' })],
  [
    'oversized-eventData',
    (key) => json({ id: key, eventType: 'GateIn', title: 'too big', eventData: { blob: 'x'.repeat(20_000) } }),
  ],
  [
    'wide-eventData',
    (key) =>
      json({
        id: key,
        eventType: 'GateIn',
        title: 'too wide',
        eventData: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])),
      }),
  ],
  ['long-title', (key) => json({ id: key, eventType: 'GateIn', title: 'T'.repeat(5000) })],
  ['top-level-array', () => Buffer.from('[{"eventType":"GateIn","title":"in an array"}]')],
  ['json-null', () => Buffer.from('null')],
  [
    'bad-coordinates',
    (key) => json({ id: key, eventType: 'GateIn', title: 'off the map', coordinates: { lat: 200, lon: 'east' } }),
  ],
  // `__proto__` is refused by name (docs/limits.md): kept, it would be dropped or set a prototype
  [
    'proto-key',
    (key) => Buffer.from(`{"__proto__":{"polluted":true},"id":"${key}","eventType":"GateIn","title":"proto"}`),
  ],
  // other control characters are refused in text (docs/limits.md): NUL, bell, terminal escapes
  [
    'control-chars',
    (key) => json({ id: key, eventType: 'GateIn', title: 'bell \u0007 nul \u0000 esc \u001b[31m red' }),
  ],
  ['infinite-id', (key) => Buffer.from(`{"id":1e400,"eventType":"GateIn","title":"${key}"}`)],
  // not UTF-8 at all: the bytes 0xC3 0x28 are an invalid sequence
  [
    'invalid-utf8',
    (key) =>
      Buffer.concat([
        Buffer.from(`{"id":"${key}","eventType":"GateIn","title":"`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]),
  ],
];

export const HOSTILE_KINDS = HOSTILE.map(([kind]) => kind);

/** A hostile record (kind chosen by `n`), keyed so the soak can find it in the DLQ. */
export function hostileRecord(key: string, n: number): SoakRecord {
  const [kind, make] = HOSTILE[n % HOSTILE.length]!;
  return { key, value: make(key), expect: 'dead-letter', kind };
}

/** Which topic a record goes to: Container events to the container topic, everything else to the port topic. */
export function topicOf(record: SoakRecord, topics: { container: string; port: string }, n: number): string {
  if (record.room) return record.room === 'Container' ? topics.container : topics.port;
  return n % 2 === 0 ? topics.container : topics.port;
}
