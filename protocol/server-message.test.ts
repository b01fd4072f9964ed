import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES, STATUSES } from './enums.ts';
import type { Change } from './event.ts';
import { sampleEvent, sampleTombstone } from './fixtures.ts';
import { RECONNECT_REASONS, type ServerMessage } from './room.ts';
import { parseServerMessage, toChange, toServerMessage } from './server-message.ts';

const count = fc.nat({ max: 1_000_000 });
const category = fc.constantFrom(...CATEGORIES);
const change: fc.Arbitrary<Change> = fc.oneof(
  fc
    .record({
      id: fc.string({ minLength: 1 }),
      seq: count,
      category,
      severity: fc.constantFrom(...SEVERITIES),
      status: fc.constantFrom(...STATUSES),
      title: fc.string(),
    })
    .map((p) => sampleEvent(p)),
  fc.record({ id: fc.string({ minLength: 1 }), seq: count, category }).map((p) => sampleTombstone(p)),
);

/** Every message a room may send, with any values its type allows. */
const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), room: category, connections: count, lastSeq: count }),
  fc.record({ type: fc.constant('events' as const), events: fc.array(change, { maxLength: 5 }) }),
  fc.record({ type: fc.constant('presence' as const), connections: count }),
  fc.record({
    type: fc.constant('stats' as const),
    room: category,
    lastSeq: count,
    connections: count,
    eventsLastMinute: count,
    at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  }),
  fc.record(
    {
      type: fc.constant('error' as const),
      code: fc.string(),
      message: fc.string(),
      details: fc.record({ limit: fc.string(), retryAfterSeconds: count }),
    },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
  fc.record({ type: fc.constant('reconnect' as const), afterMs: count, reason: fc.constantFrom(...RECONNECT_REASONS) }),
  fc.record({ type: fc.constant('subscribed' as const), severities: fc.subarray([...SEVERITIES]), seq: count }),
);

describe('protocol > server-message > parseServerMessage', () => {
  it('reads every message a room may send back exactly as it was sent', () => {
    fc.assert(
      fc.property(serverMessage, (m) => {
        expect(parseServerMessage(JSON.stringify(m))).toEqual(m);
      }),
    );
  });

  it('never throws on any JSON, and what it returns reads back the same (it has only its type’s fields)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          serverMessage.chain((m) => fc.dictionary(fc.string(), fc.jsonValue()).map((extra) => ({ ...extra, ...m }))),
        ),
        (data) => {
          const m = toServerMessage(data);
          if (m !== undefined) expect(parseServerMessage(JSON.stringify(m))).toEqual(m);
        },
      ),
    );
  });

  it('drops the fields a message does not have (a newer server’s additions)', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'presence', connections: 2, mood: 'calm' }))).toEqual({
      type: 'presence',
      connections: 2,
    });
  });

  it.each([
    [
      'stats without room and at (what the dashboard once expected)',
      { type: 'stats', connections: 1, lastSeq: 2, eventsLastMinute: 0 },
    ],
    ['subscribed without seq', { type: 'subscribed', severities: ['High'] }],
    ['subscribed with an unknown severity', { type: 'subscribed', severities: ['Urgent'], seq: 1 }],
    ['hello of an unknown room', { type: 'hello', room: 'Nowhere', connections: 1, lastSeq: 1 }],
    ['hello without connections', { type: 'hello', room: 'Ship', lastSeq: 1 }],
    ['a negative seq', { type: 'hello', room: 'Ship', connections: 1, lastSeq: -1 }],
    ['error without a code', { type: 'error', message: 'x' }],
    ['reconnect with an unknown reason', { type: 'reconnect', afterMs: 10, reason: 'bored' }],
    ['events that are not an array', { type: 'events', events: {} }],
    ['an unknown type', { type: 'gossip' }],
    ['a bare change (no server sends one)', sampleTombstone()],
    ['a bare array of changes', [sampleEvent()]],
  ])('refuses %s', (_label, data) => {
    expect(parseServerMessage(JSON.stringify(data))).toBeUndefined();
  });

  it('refuses text that is not JSON, such as the pong auto-response', () => {
    expect(parseServerMessage('pong')).toBeUndefined();
    expect(parseServerMessage('{"type":')).toBeUndefined();
  });

  it('keeps error details only when they are well-formed', () => {
    expect(
      parseServerMessage(
        JSON.stringify({
          type: 'error',
          code: 'rate_limited',
          message: 'm',
          details: { limit: 'connections', retryAfterSeconds: 30 },
        }),
      ),
    ).toEqual({
      type: 'error',
      code: 'rate_limited',
      message: 'm',
      details: { limit: 'connections', retryAfterSeconds: 30 },
    });
    expect(
      parseServerMessage(
        JSON.stringify({ type: 'error', code: 'rate_limited', message: 'm', details: { retryAfterSeconds: 'soon' } }),
      ),
    ).toEqual({ type: 'error', code: 'rate_limited', message: 'm' });
  });

  it('leaves out of an events message the changes it cannot trust, and keeps the others', () => {
    const good = sampleEvent({ seq: 3 });
    const gone = sampleTombstone({ seq: 4 });
    const m = parseServerMessage(
      JSON.stringify({
        type: 'events',
        events: [{ id: 'x' }, good, { ...good, severity: 'Urgent' }, gone, { id: 'y', seq: 5, deleted: true }],
      }),
    );
    expect(m).toEqual({ type: 'events', events: [good, gone] });
  });
});

describe('protocol > server-message > toChange', () => {
  it('accepts the fixtures and returns the value itself (no copy of a large event)', () => {
    const e = sampleEvent();
    expect(toChange(e)).toBe(e);
    expect(toChange(sampleTombstone())).toEqual(sampleTombstone());
  });

  it.each([
    ['no id', { ...sampleEvent(), id: undefined }],
    ['a fractional seq', sampleEvent({ seq: 1.5 })],
    ['an unknown status', { ...sampleEvent(), status: 'Done' }],
    ['a tombstone without category', { id: 'a', seq: 3, deleted: true }],
    ['null', null],
  ])('refuses %s', (_label, v) => {
    expect(toChange(v)).toBeUndefined();
  });
});
