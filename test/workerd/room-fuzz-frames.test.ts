/**
 * Property tests of the room's client-frame boundary (fast-check): whatever a socket sends —
 * any text, binary, oversized, invalid JSON, JSON of the wrong shape, `subscribe` with hostile
 * severity lists, `ack` with absurd seqs — it gets the documented answer (docs/rooms.md: an
 * `error` frame with `bad_frame`, `frame_too_big` then 1009, `subscribed`, nothing for a good
 * ack, `pong` for `ping`), its filter is what it last validly asked for, and the room keeps
 * serving: after every run a bystander socket receives a newly stored event exactly once, in
 * seq order, and its whole stream equals what D1 holds.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { SEVERITIES, type Severity } from '../../protocol/enums.ts';
import { CLOSE, MAX_CLIENT_FRAME_BYTES, type ErrorMessage } from '../../protocol/room.ts';
import {
  claimStorage,
  event,
  expectStreamMatchesD1,
  fence,
  ingestEvents,
  openSocket,
  until,
  type SocketClient,
} from './room-support.ts';
import { uid } from './helpers.ts';

const ROOM = 'Ship';
const utf8 = new TextEncoder();

type Frame = { text: string } | { bytes: Uint8Array };
/** What the protocol says the room answers to one frame. */
type Answer = 'pong' | 'too_big' | 'bad_frame' | 'subscribed' | 'ack';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string) => (Object.hasOwn(o, k) ? o[k] : undefined);

/**
 * The oracle, written from docs/rooms.md rather than from the room's zod schema: a frame over
 * 4 KiB is too big; binary and non-JSON are bad; `subscribe` needs an array of at most four known
 * severities; `ack` needs a non-negative safe integer seq; anything else is bad.
 */
function answerTo(frame: Frame): Answer {
  if ('bytes' in frame) return frame.bytes.byteLength > MAX_CLIENT_FRAME_BYTES ? 'too_big' : 'bad_frame';
  if (frame.text === 'ping') return 'pong';
  if (utf8.encode(frame.text).byteLength > MAX_CLIENT_FRAME_BYTES) return 'too_big';
  let data: unknown;
  try {
    data = JSON.parse(frame.text);
  } catch {
    return 'bad_frame';
  }
  if (!isRecord(data)) return 'bad_frame';
  const type = own(data, 'type');
  if (type === 'subscribe') {
    const list = own(data, 'severities');
    return Array.isArray(list) &&
      list.length <= SEVERITIES.length &&
      list.every((s) => (SEVERITIES as readonly unknown[]).includes(s))
      ? 'subscribed'
      : 'bad_frame';
  }
  if (type === 'ack') {
    const seq = own(data, 'seq');
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? 'ack' : 'bad_frame';
  }
  return 'bad_frame';
}

/** The filter a valid subscribe sets: a set of severities (empty = everything). */
function filterOf(frame: Frame): Set<Severity> {
  const list = (JSON.parse((frame as { text: string }).text) as { severities: Severity[] }).severities;
  return new Set(list.length === 0 ? SEVERITIES : list);
}

const severity = fc.constantFrom(...SEVERITIES);
const hostileSeverity = fc.oneof(
  severity,
  fc.constantFrom('critical', 'CRITICAL', ' High', 'High ', 'Urgent', '', '__proto__', 'constructor', 'Critical,High'),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(severity, { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), severity, { maxKeys: 2 }),
);
const severityList = fc.oneof(
  fc.array(severity, { maxLength: 6 }), // repeated, and more than four
  fc.uniqueArray(severity, { maxLength: 4 }),
  fc.array(hostileSeverity, { maxLength: 8 }),
  fc.integer({ min: 5, max: 1200 }).chain((n) => fc.constant(Array.from({ length: n }, (_, i) => SEVERITIES[i % 4]))), // huge
  fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.constant(null),
    fc.dictionary(fc.string({ maxLength: 3 }), severity, { maxKeys: 3 }),
  ),
);
const subscribeFrame = fc
  .record({
    severities: severityList,
    extra: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), {
      nil: undefined,
    }),
  })
  .map(({ severities, extra }) => ({ text: JSON.stringify({ ...extra, type: 'subscribe', severities }) }));

/** Seqs no client should send: negative, fractional, strings, beyond 2^53, beyond what was ever sent. */
const absurdSeq = fc.oneof(
  fc.integer({ max: -1 }),
  fc.double(),
  fc.constantFrom('NaN', 'Infinity', '-1', '1e3', '0x10', '', '12'),
  fc.constantFrom(2 ** 63, -0, 1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 53),
  fc.nat(),
  fc.constant(null),
  fc.array(fc.nat(), { maxLength: 2 }),
);
const ackFrame = fc.oneof(
  absurdSeq.map((seq) => ({ text: JSON.stringify({ type: 'ack', seq }) })),
  // number literals JSON.stringify cannot write: 2^63 exactly, an overflow to Infinity, a huge exponent
  fc
    .constantFrom('9223372036854775808', '1e400', '-1e400', '123456789012345678901234567890', '1.0', '-0.0', '5e-324')
    .map((lit) => ({ text: `{"type":"ack","seq":${lit}}` })),
);

const anyText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), maxLength: 4 }), // lone surrogates
  fc.constantFrom(
    'ping',
    'PING',
    ' ping',
    'ping\n',
    'pong',
    'null',
    '[]',
    '{}',
    '""',
    'true',
    '0',
    '{"type":null}',
    '{"type":"publish"}',
  ),
  fc.constantFrom(
    '{"__proto__":{"type":"ack","seq":1}}',
    '{"type":"subscribe","severities":[],"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"type":"toString"}',
  ),
);
const invalidJson = fc.jsonValue({ maxDepth: 3 }).map((v) => {
  const t = JSON.stringify(v) ?? 'null';
  return { text: t.length > 1 ? t.slice(0, -1) : `${t}{` };
});
const wrongShape = fc.jsonValue({ maxDepth: 4 }).map((v) => ({ text: JSON.stringify(v) ?? 'null' }));
const deep = fc.integer({ min: 100, max: 2000 }).map((n) => ({ text: `${'['.repeat(n)}${']'.repeat(n)}` }));
const oversized = fc.oneof(
  fc.integer({ min: MAX_CLIENT_FRAME_BYTES + 1, max: 40_000 }).map((n) => ({ text: 'x'.repeat(n) })),
  fc
    .integer({ min: 1400, max: 3000 })
    .map((n) => ({ text: JSON.stringify({ type: 'subscribe', severities: [], pad: '€'.repeat(n) }) })), // multi-byte: over 4 KiB in UTF-8 only when n > ~1360
  fc
    .integer({ min: MAX_CLIENT_FRAME_BYTES - 2, max: MAX_CLIENT_FRAME_BYTES + 64 })
    .map((n) => ({ bytes: new Uint8Array(n) })),
);
const binary = fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes }));

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { arbitrary: anyText.map((text) => ({ text })), weight: 3 },
  { arbitrary: subscribeFrame, weight: 4 },
  { arbitrary: ackFrame, weight: 3 },
  { arbitrary: invalidJson, weight: 1 },
  { arbitrary: wrongShape, weight: 2 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: binary, weight: 1 },
  { arbitrary: oversized, weight: 1 },
);

/** Up to the first frame the room closes the socket for: nothing after it is read. */
function untilClose(frames: Frame[]): Frame[] {
  const i = frames.findIndex((f) => answerTo(f) === 'too_big');
  return i < 0 ? frames : frames.slice(0, i + 1);
}

const errorsOf = (c: SocketClient) => c.messages.filter((m): m is ErrorMessage => m.type === 'error');
const subscribedCount = (c: SocketClient) => c.messages.filter((m) => m.type === 'subscribed').length;

/**
 * Sends `frames` on a fresh socket and checks every answer against the oracle; then checks that
 * the socket's filter is the one it last validly set (a probe event of `probeSeverity` arrives
 * iff it matches). Returns the ids it stored.
 */
async function runFrames(frames: Frame[], probeSeverity: Severity, bystander: SocketClient): Promise<string[]> {
  const c = await openSocket(ROOM);
  await c.hello;
  const answers = frames.map(answerTo);
  let filter = new Set<Severity>(SEVERITIES);
  for (const f of frames) {
    c.ws.send('text' in f ? f.text : f.bytes);
    if (answerTo(f) === 'subscribed') filter = filterOf(f);
  }
  const bad = answers.filter((a) => a === 'bad_frame').length;
  const pongs = answers.filter((a) => a === 'pong').length;
  const stored: string[] = [];
  if (answers.at(-1) === 'too_big') {
    const closed = await c.closed;
    expect(closed.code).toBe(CLOSE.tooBig);
    const errors = errorsOf(c);
    expect(errors.map((e) => e.code)).toEqual([...Array<string>(bad).fill('bad_frame'), 'frame_too_big']);
    expect(subscribedCount(c)).toBe(answers.filter((a) => a === 'subscribed').length);
  } else {
    // A barrier that changes nothing: one more bad frame. Frames are handled in order, so when
    // its error is in, every earlier answer is too.
    c.ws.send('barrier: not JSON');
    await until('the barrier error', () => (errorsOf(c).length >= bad + 1 ? true : undefined));
    await until('every pong', () => (c.texts.filter((t) => t === 'pong').length >= pongs ? true : undefined));
    expect(errorsOf(c).map((e) => e.code)).toEqual(Array<string>(bad + 1).fill('bad_frame'));
    expect(subscribedCount(c)).toBe(answers.filter((a) => a === 'subscribed').length);
    expect(c.texts.filter((t) => t === 'pong')).toHaveLength(pongs);
    const last = c.messages.filter((m) => m.type === 'subscribed').at(-1);
    if (last?.type === 'subscribed')
      expect(new Set(last.severities), 'the filter the room says is in force').toEqual(filter);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    // The filter in force is the last valid one: a probe arrives iff it matches; a fence in the
    // filter proves the probe would have come before it.
    const [probe] = await ingestEvents([event(ROOM, probeSeverity, uid('probe'))]);
    stored.push(probe!);
    stored.push(await fence(c, ROOM, [...filter][0]!));
    expect(c.ids().includes(probe!), `probe of ${probeSeverity} under filter ${[...filter].join(',')}`).toBe(
      filter.has(probeSeverity),
    );
    c.close();
  }
  // The room still serves everyone else: the bystander gets a new event.
  stored.push(await fence(bystander, ROOM));
  return stored;
}

describe('worker > Room > fuzzed client frames', () => {
  let bystander: SocketClient;
  let base = 0;

  beforeAll(async () => {
    await claimStorage('room-fuzz-frames');
    // No acks: a client that acked every frame would pass the room's 100-frames-per-10-s bound
    // here and be closed for flooding (1008), as documented; a few hundred small events stay far
    // under the 4 MiB unacknowledged bound.
    bystander = await openSocket(ROOM);
    base = (await bystander.hello).lastSeq;
  });

  it('property: any sequence of client frames gets the documented answers, and the room keeps serving a bystander once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { minLength: 1, maxLength: 12 }).map(untilClose),
        severity,
        async (frames, probeSeverity) => {
          await runFrames(frames, probeSeverity, bystander);
        },
      ),
      { numRuns: 60 },
    );
    await expectStreamMatchesD1(bystander, ROOM, base, undefined, 'bystander');
  });

  it('regression (fast-check seed -280456463, path 47:1:5:6:9:9:9:9:8): subscribe with four copies of one severity filters by that severity, not "all four"', async () => {
    // The property's shrunk counterexample: `severities` of four "Critical" passed validation
    // (at most four entries) and the room took four entries for "every severity".
    const frames: Frame[] = [
      { text: '{"type":"subscribe","severities":["Critical","Critical","Critical","Critical"]}' },
      { text: '[' },
    ];
    expect(frames.map(answerTo)).toEqual(['subscribed', 'bad_frame']);
    await runFrames(frames, 'Critical', bystander);
    // And the same with a probe outside the filter, which must not arrive.
    await runFrames(
      [{ text: JSON.stringify({ type: 'subscribe', severities: ['High', 'High', 'High', 'High'] }) }],
      'Low',
      bystander,
    );
  });

  it('answers absurd acks (2^63, Infinity from 1e400, negative, fractional, strings) with bad_frame, and a seq beyond anything sent is harmless', async () => {
    const frames: Frame[] = [
      { text: '{"type":"ack","seq":9223372036854775808}' },
      { text: '{"type":"ack","seq":1e400}' },
      { text: JSON.stringify({ type: 'ack', seq: -1 }) },
      { text: JSON.stringify({ type: 'ack', seq: 1.5 }) },
      { text: JSON.stringify({ type: 'ack', seq: 'NaN' }) },
      { text: JSON.stringify({ type: 'ack', seq: Number.MAX_SAFE_INTEGER }) },
    ];
    expect(frames.map(answerTo)).toEqual(['bad_frame', 'bad_frame', 'bad_frame', 'bad_frame', 'bad_frame', 'ack']);
    await runFrames(frames, 'Critical', bystander);
  });

  it('closes a frame of 4 KiB + 1 in UTF-8 (multi-byte text under 4 KiB of UTF-16) with 1009 after frame_too_big', async () => {
    const text = JSON.stringify({ type: 'subscribe', severities: [], pad: '€'.repeat(1400) });
    expect(text.length).toBeLessThan(MAX_CLIENT_FRAME_BYTES);
    expect(answerTo({ text })).toBe('too_big');
    await runFrames([{ text: '{"type":"ack","seq":-1}' }, { text }], 'Low', bystander);
  });

  it('after everything, the bystander has exactly what D1 holds, once, in seq order', async () => {
    await fence(bystander, ROOM, 'Critical');
    await expectStreamMatchesD1(bystander, ROOM, base, undefined, 'bystander');
    bystander.close();
  });
});
