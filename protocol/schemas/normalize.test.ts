import { describe, expect, it } from 'vitest';
import { MAX_TITLE_CHARS, type EventInput, type NewEvent } from '../event.ts';
import { describeIssues } from '../reason.ts';
import { sampleNewEvent } from '../fixtures.ts';
import { MAX_JSON_FIELD_BYTES } from './event-bounds.ts';
import {
  canonicalize,
  deriveCategory,
  normalizeEvent,
  toEvent,
  type IngestContext,
  type NormalizeResult,
} from './normalize.ts';

const RECEIVED_AT = Date.UTC(2026, 10, 29, 9, 0, 0, 0);
const RECEIVED_ISO = '2026-11-29T09:00:00.000Z';

const kafka = (topic = 'port-events', partition = 2, offset = '1234'): IngestContext => ({
  kind: 'kafka',
  topic,
  partition,
  offset,
  receivedAt: RECEIVED_AT,
});

const api = (newId: () => string = () => 'generated-uuid'): IngestContext => ({
  kind: 'api',
  receivedAt: RECEIVED_AT,
  newId,
});

const base = { eventType: 'GateIn', title: 'Container gated in' };

/** Normalises and insists on success, so a test reads the event directly. */
function accept(raw: unknown, ctx: IngestContext = kafka()): NewEvent {
  const result = normalizeEvent(raw, ctx);
  if (!result.ok) throw new Error(`expected the payload to be accepted, got: ${describeIssues(result.issues)}`);
  return result.event;
}

/** Normalises and insists on failure, returning the paths of the issues. */
function reject(
  raw: unknown,
  ctx: IngestContext = kafka(),
): { paths: string[]; result: NormalizeResult & { ok: false } } {
  const result = normalizeEvent(raw, ctx);
  if (result.ok) throw new Error(`expected the payload to be rejected, got event ${JSON.stringify(result.event)}`);
  return { paths: result.issues.map((i) => i.path), result };
}

describe('protocol > schemas > normalizeEvent', () => {
  describe('legacy .NET payload', () => {
    // As the existing ASP.NET producer writes it: PascalCase, numeric ids, .NET timestamp without a
    // zone, only Priority, no Category, nulls for optional fields and properties Quaycast does not know.
    const legacy = {
      EventId: 48213,
      EventType: 'ContainerGateIn',
      Title: 'Container MSCU1234567 gated in at Gate 3',
      Description: 'OCR read confirmed by clerk',
      Priority: 'High',
      Status: 'In Progress',
      Source: 'GateOCR-3',
      Timestamp: '2026-11-29T08:15:02.1234567',
      ContainerId: 1234567,
      ShipId: 42,
      BerthId: null,
      PortId: 7,
      RequiresAction: true,
      IsResolved: false,
      EventData: { Gate: 3, Lane: 'B', Weight: 24310.5 },
      Metadata: null,
      Coordinates: { Latitude: 51.9496, Longitude: 4.1453 },
      Resolution: null,
      AssignedTo: null,
      CreatedBy: 'gate-service',
      IsRead: false,
    };

    it('is accepted and brought to the canonical form', () => {
      const event = accept(legacy, kafka('container-events', 0, '77'));
      expect(event).toMatchObject({
        id: '48213',
        category: 'Container',
        severity: 'High',
        priority: 'High',
        status: 'InProgress',
        eventType: 'ContainerGateIn',
        title: 'Container MSCU1234567 gated in at Gate 3',
        description: 'OCR read confirmed by clerk',
        source: 'GateOCR-3',
        eventTime: '2026-11-29T08:15:02.123Z',
        containerId: '1234567',
        shipId: '42',
        berthId: null,
        portId: '7',
        requiresAction: true,
        isResolved: false,
        eventData: { Gate: 3, Lane: 'B', Weight: 24310.5 },
        coordinates: { lat: 51.9496, lon: 4.1453 },
        assignedTo: null,
        resolution: null,
        origin: { kind: 'kafka', topic: 'container-events', partition: 0, offset: '77' },
        receivedAt: RECEIVED_ISO,
        createdAt: RECEIVED_ISO,
        updatedAt: RECEIVED_ISO,
      });
    });

    it('keeps the properties it does not know in metadata.extra', () => {
      expect(accept(legacy).metadata).toEqual({ extra: { CreatedBy: 'gate-service', IsRead: false } });
    });

    it('round-trips through JSON text exactly as the bridge delivers it', () => {
      const event = accept(JSON.parse(JSON.stringify(legacy)));
      expect(event.id).toBe('48213');
      expect(event.eventTime).toBe('2026-11-29T08:15:02.123Z');
    });
  });

  describe('property names', () => {
    it.each([
      ['PascalCase', { EventType: 'GateIn', Title: 'T' }],
      ['UPPER CASE', { EVENTTYPE: 'GateIn', TITLE: 'T' }],
      ['lower case', { eventtype: 'GateIn', title: 'T' }],
      ['mixed case', { eVeNtTyPe: 'GateIn', tItLe: 'T' }],
      ['the `type` alias', { Type: 'GateIn', Title: 'T' }],
    ])('accepts %s', (_label, raw) => {
      const event = accept(raw);
      expect(event.eventType).toBe('GateIn');
      expect(event.title).toBe('T');
    });

    it.each([
      ['containerId', 'ContainerId'],
      ['shipId', 'SHIPID'],
      ['berthId', 'berthid'],
      ['portId', 'PortID'],
      ['requiresAction', 'RequiresAction'],
      ['eventData', 'EVENTDATA'],
    ] as const)('maps %s written as %s', (field, written) => {
      const values: Record<string, unknown> = {
        containerId: 'C1',
        shipId: 'S1',
        berthId: 'B1',
        portId: 'P1',
        requiresAction: true,
        eventData: { a: 1 },
      };
      const event = accept({ ...base, [written]: values[field] });
      expect(event[field]).toEqual(values[field]);
    });
  });

  describe('ids', () => {
    it.each([
      ['id string', { id: 'evt-1' }, 'evt-1'],
      ['id number', { id: 17 }, '17'],
      ['eventId number', { eventId: 4821 }, '4821'],
      ['EventId string', { EventId: 'abc' }, 'abc'],
      ['zero', { id: 0 }, '0'],
      ['id null then eventId', { id: null, eventId: 9 }, '9'],
    ])('takes the producer id (%s)', (_label, extra, expected) => {
      expect(accept({ ...base, ...extra }).id).toBe(expected);
    });

    it('keeps the first of id and eventId, and the other in metadata.extra', () => {
      const event = accept({ ...base, id: 'first', eventId: 'second' });
      expect(event.id).toBe('first');
      expect(event.metadata).toEqual({ extra: { eventId: 'second' } });
    });

    it('uses kafka:<topic>:<partition>:<offset> for a Kafka record without an id', () => {
      expect(accept(base, kafka('container-events', 5, '900719925474099')).id).toBe(
        'kafka:container-events:5:900719925474099',
      );
    });

    it('uses newId() for an API post without an id', () => {
      let calls = 0;
      const event = accept(
        base,
        api(() => `uuid-${++calls}`),
      );
      expect(event.id).toBe('uuid-1');
      expect(calls).toBe(1);
      expect(event.origin).toEqual({ kind: 'api' });
    });

    it('does not call newId() when the API post has an id', () => {
      const event = accept(
        { ...base, id: 'mine' },
        api(() => {
          throw new Error('newId must not be called');
        }),
      );
      expect(event.id).toBe('mine');
    });

    it.each([
      ['containerId', 1234567, '1234567'],
      ['shipId', 42, '42'],
      ['berthId', 3, '3'],
      ['portId', 7, '7'],
    ] as const)('turns a numeric %s into a string', (field, value, expected) => {
      expect(accept({ ...base, [field]: value })[field]).toBe(expected);
    });

    it.each([
      ['empty id', { id: '' }, 'id'],
      ['id over 200 chars', { id: 'x'.repeat(201) }, 'id'],
      ['boolean containerId', { containerId: true }, 'containerId'],
      ['empty shipId', { shipId: '' }, 'shipId'],
    ])('rejects an %s', (_label, extra, path) => {
      expect(reject({ ...base, ...extra }).paths).toContain(path);
    });
  });

  describe('category', () => {
    it.each([
      ['containerId', { containerId: 'C1', shipId: 'S1', berthId: 'B1', portId: 'P1' }, 'Container'],
      ['shipId', { shipId: 'S1', berthId: 'B1', portId: 'P1' }, 'Ship'],
      ['berthId', { berthId: 'B1', portId: 'P1' }, 'Berth'],
      ['portId', { portId: 'P1' }, 'Port'],
      ['a numeric shipId', { containerId: null, shipId: 42 }, 'Ship'],
    ])('derives it from %s when absent', (_label, ids, expected) => {
      expect(accept({ ...base, ...ids }, kafka('other-topic')).category).toBe(expected);
    });

    it.each([
      ['container-events', 'Container'],
      ['port-events', 'Port'],
      ['some-other-topic', 'System'],
    ])('falls back to the topic %s → %s without entity ids', (topic, expected) => {
      expect(accept(base, kafka(topic)).category).toBe(expected);
    });

    it('is System for an API post without entity ids', () => {
      expect(accept(base, api()).category).toBe('System');
    });

    it('keeps a given category over the derivation', () => {
      expect(accept({ ...base, category: 'Berth', containerId: 'C1' }, kafka('container-events')).category).toBe(
        'Berth',
      );
    });

    it.each([
      ['container', 'Container'],
      ['SHIP', 'Ship'],
      ['berth', 'Berth'],
    ])('accepts the spelling %s', (written, expected) => {
      expect(accept({ ...base, Category: written }).category).toBe(expected);
    });

    it('treats a null category as absent', () => {
      expect(accept({ ...base, category: null, shipId: 'S1' }).category).toBe('Ship');
    });

    it('rejects an unknown category', () => {
      expect(reject({ ...base, category: 'Warehouse' }).paths).toEqual(['category']);
    });
  });

  describe('severity, priority and status', () => {
    it.each([
      ['neither', {}, 'Medium', 'Medium'],
      ['only severity', { severity: 'Critical' }, 'Critical', 'Critical'],
      ['only priority', { priority: 'High' }, 'High', 'High'],
      ['only Priority (PascalCase)', { Priority: 'Low' }, 'Low', 'Low'],
      ['both', { severity: 'Low', priority: 'Critical' }, 'Low', 'Critical'],
      ['lower-case values', { severity: 'critical', priority: 'high' }, 'Critical', 'High'],
      ['null severity, priority given', { severity: null, priority: 'High' }, 'High', 'High'],
      ['both null', { severity: null, priority: null }, 'Medium', 'Medium'],
    ])('with %s: severity %s, priority %s', (_label, extra, severity, priority) => {
      const event = accept({ ...base, ...extra });
      expect(event.severity).toBe(severity);
      expect(event.priority).toBe(priority);
    });

    it.each([
      [undefined, 'New'],
      [null, 'New'],
      ['In Progress', 'InProgress'],
      ['in progress', 'InProgress'],
      ['in_progress', 'InProgress'],
      ['InProgress', 'InProgress'],
      ['acknowledged', 'Acknowledged'],
      ['Resolved', 'Resolved'],
      ['CLOSED', 'Closed'],
    ])('reads status %s as %s', (status, expected) => {
      expect(accept({ ...base, status }).status).toBe(expected);
    });

    it.each([
      ['Resolved', true],
      ['Closed', true],
      ['New', false],
      ['InProgress', false],
    ])('defaults isResolved from status %s to %s', (status, expected) => {
      expect(accept({ ...base, status }).isResolved).toBe(expected);
    });

    it('keeps an explicit isResolved', () => {
      expect(accept({ ...base, status: 'Resolved', isResolved: false }).isResolved).toBe(false);
    });

    it.each([
      ['severity', 'Urgent'],
      ['priority', 'P1'],
      ['status', 'Pending'],
    ])('rejects an unknown %s', (field, value) => {
      expect(reject({ ...base, [field]: value }).paths).toEqual([field]);
    });
  });

  describe('null for optional fields', () => {
    it('accepts null for every optional field and fills defaults', () => {
      const event = accept(
        {
          ...base,
          id: null,
          category: null,
          severity: null,
          priority: null,
          status: null,
          description: null,
          source: null,
          eventTime: null,
          containerId: null,
          shipId: null,
          berthId: null,
          portId: null,
          requiresAction: null,
          isResolved: null,
          eventData: null,
          metadata: null,
          coordinates: null,
          assignedTo: null,
          resolution: null,
        },
        kafka('port-events', 1, '5'),
      );
      expect(event).toMatchObject({
        id: 'kafka:port-events:1:5',
        category: 'Port',
        severity: 'Medium',
        priority: 'Medium',
        status: 'New',
        description: null,
        source: null,
        eventTime: RECEIVED_ISO,
        containerId: null,
        shipId: null,
        berthId: null,
        portId: null,
        requiresAction: false,
        isResolved: false,
        eventData: {},
        metadata: {},
        coordinates: null,
        assignedTo: null,
        resolution: null,
      });
    });

    it.each(['eventType', 'title'])('still requires %s', (field) => {
      expect(reject({ ...base, [field]: null }).paths).toEqual([field]);
    });

    it.each(['eventType', 'title'])('rejects a missing %s', (field) => {
      const raw: Record<string, unknown> = { ...base };
      delete raw[field];
      expect(reject(raw).paths).toEqual([field]);
    });

    it('rejects a blank title (whitespace only)', () => {
      expect(reject({ ...base, title: '   ' }).paths).toEqual(['title']);
    });
  });

  describe('unknown properties', () => {
    it('keeps them in metadata.extra, never an error', () => {
      const event = accept({ ...base, Foo: 1, bar: { nested: [1, 2] }, baz: null });
      expect(event.metadata).toEqual({ extra: { Foo: 1, bar: { nested: [1, 2] }, baz: null } });
    });

    it('merges them with producer metadata, including an existing metadata.extra', () => {
      const event = accept({ ...base, metadata: { shift: 'night', extra: { old: true } }, Crane: 'QC-4' });
      expect(event.metadata).toEqual({ shift: 'night', extra: { old: true, Crane: 'QC-4' } });
    });

    it.each([
      'seq',
      'origin',
      'receivedAt',
      'CreatedAt',
      'updatedAt',
      'acknowledgedAt',
      'acknowledgedBy',
      'resolvedAt',
      'resolvedBy',
    ])('keeps a producer-sent server field %s for reference only, as producer.<name>', (field) => {
      const event = accept({ ...base, [field]: 'from-producer' });
      expect(event.metadata).toEqual({ extra: { [`producer.${field}`]: 'from-producer' } });
    });

    it('does not let a producer set seq, origin or timestamps of its own', () => {
      const event = accept(
        { ...base, seq: 999, origin: { kind: 'api' }, createdAt: '2000-01-01T00:00:00Z' },
        kafka('port-events', 0, '1'),
      );
      expect(event).not.toHaveProperty('seq');
      expect(event.origin).toEqual({ kind: 'kafka', topic: 'port-events', partition: 0, offset: '1' });
      expect(event.createdAt).toBe(RECEIVED_ISO);
    });

    it('keeps a duplicate property (other case) in metadata.extra', () => {
      const event = accept({ ...base, Title: 'second' });
      expect(event.title).toBe('Container gated in');
      expect(event.metadata).toEqual({ extra: { Title: 'second' } });
    });

    it('rejects unknown properties that push metadata over 16 KiB, naming the property', () => {
      const { paths, result } = reject({ ...base, blob: 'x'.repeat(MAX_JSON_FIELD_BYTES) });
      expect(paths).toEqual(['blob']);
      expect(result.issues[0]!.message).toContain('metadata.extra');
    });

    it('rejects unknown properties that push metadata over 16 KiB together with its own content', () => {
      const { paths } = reject({
        ...base,
        metadata: { note: 'y'.repeat(MAX_JSON_FIELD_BYTES / 2) },
        blob: 'x'.repeat(MAX_JSON_FIELD_BYTES / 2),
      });
      expect(paths).toEqual(['metadata']);
    });
  });

  describe('eventTime', () => {
    it.each([
      ['eventTime', '2026-11-29T08:15:02Z', '2026-11-29T08:15:02.000Z'],
      ['EventTime', '2026-11-29T08:15:02.5Z', '2026-11-29T08:15:02.500Z'],
      ['eventTimestamp', '2026-11-29T08:15:02+01:00', '2026-11-29T07:15:02.000Z'],
      ['EventTimestamp', '2026-11-29T08:15:02.1234567', '2026-11-29T08:15:02.123Z'],
      ['timestamp', '2026-11-29T08:15:02-0530', '2026-11-29T13:45:02.000Z'],
      ['Timestamp', '2026-11-29T08:15:02.1234567', '2026-11-29T08:15:02.123Z'],
    ])('reads %s = %s as %s', (field, value, expected) => {
      expect(accept({ ...base, [field]: value }).eventTime).toBe(expected);
    });

    it('accepts epoch milliseconds', () => {
      expect(accept({ ...base, eventTime: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }).eventTime).toBe(
        '2026-01-02T03:04:05.006Z',
      );
    });

    it('defaults to the time the event was received', () => {
      expect(accept(base).eventTime).toBe(RECEIVED_ISO);
    });

    it.each([
      ['an invalid date', '2026-02-31T00:00:00Z'],
      ['garbage', 'yesterday'],
      ['an empty string', ''],
      ['a boolean', true],
      ['epoch milliseconds beyond the representable range', 1e20],
      ['NaN-like text', 'NaN'],
    ])('rejects %s without throwing', (_label, value) => {
      expect(reject({ ...base, eventTime: value }).paths).toEqual(['eventTime']);
    });

    it('keeps the first of eventTime and its aliases', () => {
      const event = accept({ ...base, eventTime: '2026-01-01T00:00:00Z', timestamp: '2027-01-01T00:00:00Z' });
      expect(event.eventTime).toBe('2026-01-01T00:00:00.000Z');
      expect(event.metadata).toEqual({ extra: { timestamp: '2027-01-01T00:00:00Z' } });
    });
  });

  describe('sizes', () => {
    it(`accepts a title of exactly ${MAX_TITLE_CHARS} characters`, () => {
      expect(accept({ ...base, title: 't'.repeat(MAX_TITLE_CHARS) }).title).toHaveLength(MAX_TITLE_CHARS);
    });

    it(`rejects a title over ${MAX_TITLE_CHARS} characters`, () => {
      expect(reject({ ...base, title: 't'.repeat(MAX_TITLE_CHARS + 1) }).paths).toEqual(['title']);
    });

    /** An object whose JSON serialization is exactly `bytes` long. */
    const objectOfBytes = (bytes: number) => ({ k: 'x'.repeat(bytes - '{"k":""}'.length) });

    it.each(['eventData', 'metadata'])('accepts %s of exactly 16 KiB serialized', (field) => {
      const value = objectOfBytes(MAX_JSON_FIELD_BYTES);
      expect(new TextEncoder().encode(JSON.stringify(value)).length).toBe(MAX_JSON_FIELD_BYTES);
      expect(accept({ ...base, [field]: value })[field as 'eventData' | 'metadata']).toEqual(value);
    });

    it.each(['eventData', 'metadata'])('rejects %s over 16 KiB serialized', (field) => {
      expect(reject({ ...base, [field]: objectOfBytes(MAX_JSON_FIELD_BYTES + 1) }).paths).toEqual([field]);
    });

    it('counts UTF-8 bytes, not characters', () => {
      // 'é' is two bytes: half as many characters already reach the bound.
      const value = { k: 'é'.repeat(MAX_JSON_FIELD_BYTES / 2) };
      expect(reject({ ...base, eventData: value }).paths).toEqual(['eventData']);
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'text'],
      ['a number', 5],
    ])('rejects eventData that is %s', (_label, value) => {
      expect(reject({ ...base, eventData: value }).paths).toEqual(['eventData']);
    });
  });

  describe('coordinates', () => {
    it.each([
      ['lat/lon', { lat: 51.9, lon: 4.1 }],
      ['Latitude/Longitude', { Latitude: 51.9, Longitude: 4.1 }],
      ['LAT/LNG', { LAT: 51.9, LNG: 4.1 }],
      ['latitude/long', { latitude: 51.9, long: 4.1 }],
    ])('accepts %s', (_label, value) => {
      expect(accept({ ...base, coordinates: value }).coordinates).toEqual({ lat: 51.9, lon: 4.1 });
    });

    it.each([[{ lat: -90, lon: -180 }], [{ lat: 90, lon: 180 }], [{ lat: 0, lon: 0 }]])(
      'accepts the range bound %o',
      (value) => {
        expect(accept({ ...base, coordinates: value }).coordinates).toEqual(value);
      },
    );

    it.each([
      ['lat above 90', { lat: 90.0001, lon: 0 }, 'coordinates.lat'],
      ['lat below -90', { lat: -91, lon: 0 }, 'coordinates.lat'],
      ['lon above 180', { lat: 0, lon: 180.5 }, 'coordinates.lon'],
      ['lon below -180', { lat: 0, lon: -181 }, 'coordinates.lon'],
      ['lat as text', { lat: '51.9', lon: 4.1 }, 'coordinates.lat'],
      ['lon missing', { lat: 51.9 }, 'coordinates.lon'],
    ])('rejects %s', (_label, value, path) => {
      expect(reject({ ...base, coordinates: value }).paths).toEqual([path]);
    });

    it('drops unknown coordinate properties', () => {
      expect(accept({ ...base, coordinates: { lat: 1, lon: 2, alt: 30 } }).coordinates).toEqual({ lat: 1, lon: 2 });
    });
  });

  describe('not an object', () => {
    it.each([
      ['null', null],
      ['an array', [base]],
      ['a string', 'event'],
      ['a number', 42],
      ['undefined', undefined],
    ])('rejects %s at the root', (_label, raw) => {
      const { result } = reject(raw);
      expect(result.issues).toEqual([{ path: '(root)', message: 'must be a JSON object' }]);
    });
  });

  it('reports every failing field at once', () => {
    const { paths } = reject({ title: 't'.repeat(201), severity: 'Urgent', coordinates: { lat: 100, lon: 0 } });
    expect(paths).toEqual(expect.arrayContaining(['eventType', 'title', 'severity', 'coordinates.lat']));
  });
});

describe('protocol > schemas > canonicalize', () => {
  it('maps names in any case and aliases to canonical fields', () => {
    const { input, extra } = canonicalize({ EVENTID: 5, EventTimestamp: '2026-01-01', TYPE: 'X', Title: 'T' });
    expect(input).toEqual({ id: '5', eventTime: '2026-01-01', eventType: 'X', title: 'T' });
    expect(extra).toEqual({});
  });

  it.each([
    ['severity', 'critical', 'Critical'],
    ['priority', 'LOW', 'Low'],
    ['status', 'In Progress', 'InProgress'],
    ['category', 'port', 'Port'],
  ])('normalises the spelling of %s %s → %s', (field, value, expected) => {
    expect(canonicalize({ [field]: value }).input[field]).toBe(expected);
  });

  it('leaves an unknown enum spelling for the schema to reject', () => {
    expect(canonicalize({ severity: 'Urgent' }).input.severity).toBe('Urgent');
  });

  it.each(['id', 'category', 'severity', 'priority', 'status', 'eventTime'])(
    'drops a null %s (it has a default)',
    (field) => {
      expect(canonicalize({ [field]: null }).input).not.toHaveProperty(field);
    },
  );

  it.each(['description', 'containerId', 'eventData', 'coordinates'])('keeps a null %s', (field) => {
    expect(canonicalize({ [field]: null }).input).toHaveProperty(field, null);
  });

  it('does not turn non-finite numbers into ids', () => {
    expect(canonicalize({ id: Number.NaN }).input.id).toBeNaN();
  });

  it('puts unknown properties in extra, prefixing server fields', () => {
    expect(canonicalize({ Gate: 3, seq: 1 }).extra).toEqual({ Gate: 3, 'producer.seq': 1 });
  });
});

describe('protocol > schemas > deriveCategory', () => {
  it.each([
    [{ containerId: 'C', shipId: 'S', berthId: 'B', portId: 'P' }, undefined, 'Container'],
    [{ containerId: null, shipId: 'S', berthId: 'B', portId: 'P' }, undefined, 'Ship'],
    [{ berthId: 'B', portId: 'P' }, 'container-events', 'Berth'],
    [{ portId: 'P' }, 'container-events', 'Port'],
    [{}, 'container-events', 'Container'],
    [{}, 'port-events', 'Port'],
    [{}, 'other', 'System'],
    [{}, undefined, 'System'],
    [{ containerId: null, shipId: null, berthId: null, portId: null }, undefined, 'System'],
  ] as const)('derives %o on topic %s as %s', (ids, topic, expected) => {
    expect(deriveCategory(ids, topic)).toBe(expected);
  });

  it('does not read inherited properties of the topic map', () => {
    expect(deriveCategory({}, 'toString')).toBe('System');
  });
});

describe('protocol > schemas > toEvent', () => {
  const input: EventInput = { eventType: 'Arrival', title: 'Ship arrived', shipId: 'IMO9321483' };

  it('fills every derived field for a Kafka record', () => {
    const event = toEvent(input, {}, kafka('port-events', 3, '42'));
    // The fixture holds every field; what toEvent must fill differently from it is stated here.
    expect(event).toEqual(
      sampleNewEvent({
        id: 'kafka:port-events:3:42',
        category: 'Ship',
        severity: 'Medium',
        priority: 'Medium',
        status: 'New',
        eventType: 'Arrival',
        title: 'Ship arrived',
        description: null,
        source: null,
        eventTime: RECEIVED_ISO,
        containerId: null,
        shipId: 'IMO9321483',
        requiresAction: false,
        isResolved: false,
        eventData: {},
        metadata: {},
        coordinates: null,
        origin: { kind: 'kafka', topic: 'port-events', partition: 3, offset: '42' },
        receivedAt: RECEIVED_ISO,
        createdAt: RECEIVED_ISO,
        updatedAt: RECEIVED_ISO,
      }),
    );
  });

  it('uses the API context: newId() and origin api, no topic fallback', () => {
    const event = toEvent(
      { eventType: 'X', title: 'Y' },
      {},
      api(() => 'u-1'),
    );
    expect(event.id).toBe('u-1');
    expect(event.origin).toEqual({ kind: 'api' });
    expect(event.category).toBe('System');
  });

  it('adds extra to metadata without touching the input metadata', () => {
    const metadata = { a: 1 };
    const event = toEvent({ ...input, metadata }, { b: 2 }, kafka());
    expect(event.metadata).toEqual({ a: 1, extra: { b: 2 } });
    expect(metadata).toEqual({ a: 1 });
  });

  it('converts an offset eventTime to UTC', () => {
    expect(toEvent({ ...input, eventTime: '2026-06-01T12:00:00+02:00' }, {}, kafka()).eventTime).toBe(
      '2026-06-01T10:00:00.000Z',
    );
  });
});

describe('protocol > schemas > normalizeEvent > Kafka lineage', () => {
  const base = {
    topic: 'port-events',
    partition: 0,
    offset: '9',
    receivedAt: Date.UTC(2026, 10, 29, 8, 0, 1),
  } as const;
  const raw = { eventType: 'Weather', title: 'Fog' };

  it('keeps the key, the headers and the record timestamp (as appendedAt)', () => {
    const r = normalizeEvent(raw, {
      kind: 'kafka',
      ...base,
      key: 'k1',
      headers: { a: '1' },
      timestamp: String(Date.UTC(2026, 10, 29, 8, 0, 0, 250)),
    });
    expect(r.ok && r.event.origin).toEqual({
      kind: 'kafka',
      topic: 'port-events',
      partition: 0,
      offset: '9',
      key: 'k1',
      headers: { a: '1' },
      appendedAt: '2026-11-29T08:00:00.250Z',
    });
  });

  it('leaves out what the record did not have, or a timestamp that is not a time', () => {
    const r = normalizeEvent(raw, { kind: 'kafka', ...base, key: null, timestamp: '-1' });
    expect(r.ok && r.event.origin).toEqual({ kind: 'kafka', topic: 'port-events', partition: 0, offset: '9' });
  });

  it('bounds the lineage: at most 16 headers, values cut to 256 characters', () => {
    const headers = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`h${i}`, 'x'.repeat(300)]));
    const r = normalizeEvent(raw, { kind: 'kafka', ...base, key: 'k'.repeat(300), headers });
    const origin = r.ok ? r.event.origin : undefined;
    expect(origin?.kind === 'kafka' && Object.keys(origin.headers ?? {})).toHaveLength(16);
    expect(origin?.kind === 'kafka' && origin.key?.length).toBe(256);
    expect(origin?.kind === 'kafka' && Object.values(origin.headers ?? {}).every((v) => v.length === 256)).toBe(true);
  });
});
