import { describe, expect, it } from 'vitest';
import {
  REPLAY_HEADER,
  asDlqTopic,
  deadLetterOf,
  describeDeadLetter,
  dlqTopicOf,
  originOfDlq,
  parseOffsets,
  planReplay,
  replayOf,
  resolveOffsets,
  type DeadLetterSource,
  type StoredDeadLetter,
} from './dlq.ts';

const source = (over: Partial<DeadLetterSource> = {}): DeadLetterSource => ({
  topic: 'container-events',
  partition: 4,
  offset: '9007199254740993',
  key: Buffer.from('MSCU1234567'),
  value: Buffer.from('{not json'),
  headers: {},
  ...over,
});

describe('bridge > dlqTopicOf', () => {
  it.each([
    ['port-events', 'port-events.dlq'],
    ['container-events', 'container-events.dlq'],
    ['a.b', 'a.b.dlq'],
  ])('%s → %s', (topic, expected) => {
    expect(dlqTopicOf(topic)).toBe(expected);
  });
});

describe('bridge > deadLetterOf', () => {
  it('goes to <topic>.dlq with x-error and the original topic, partition and offset', () => {
    const letter = deadLetterOf(source(), 'value is not JSON');
    expect(letter.topic).toBe('container-events.dlq');
    expect(letter.message.headers).toEqual({
      'x-error': 'value is not JSON',
      'x-original-topic': 'container-events',
      'x-original-partition': '4',
      'x-original-offset': '9007199254740993',
    });
  });

  it('keeps key and value untouched (the same bytes)', () => {
    const key = Buffer.from([0x00, 0xff, 0x10]);
    const value = Buffer.from([0xc3, 0x28, 0xa0, 0xa1]); // invalid UTF-8 stays as is
    const letter = deadLetterOf(source({ key, value }), 'bad');
    expect(letter.message.key).toBe(key);
    expect(letter.message.value).toBe(value);
    expect([...letter.message.value!]).toEqual([0xc3, 0x28, 0xa0, 0xa1]);
  });

  it.each([
    ['null key', { key: null }],
    ['null value', { value: null }],
  ])('keeps a %s', (_label, over) => {
    const letter = deadLetterOf(source(over), 'bad');
    expect(letter.message).toMatchObject(over);
  });

  it('keeps the original headers alongside', () => {
    const trace = Buffer.from('00-abc-def-01');
    const letter = deadLetterOf(
      source({
        headers: {
          traceparent: trace,
          'content-type': 'application/json',
          multi: ['a', Buffer.from('b')],
          gone: undefined,
        },
      }),
      'bad',
    );
    expect(letter.message.headers).toMatchObject({
      traceparent: trace,
      'content-type': 'application/json',
      multi: ['a', Buffer.from('b')],
    });
    expect(letter.message.headers).not.toHaveProperty('gone');
  });

  it('overrides original headers of the same x- names (a record re-dead-lettered says why now)', () => {
    const letter = deadLetterOf(
      source({ headers: { 'x-error': 'old', 'x-original-topic': 'elsewhere' } }),
      'new reason',
    );
    expect(letter.message.headers['x-error']).toBe('new reason');
    expect(letter.message.headers['x-original-topic']).toBe('container-events');
  });

  it('bounds x-error to 2000 characters', () => {
    const letter = deadLetterOf(source(), 'e'.repeat(5000));
    expect(letter.message.headers['x-error']).toBe('e'.repeat(2000));
  });

  it('does not modify the source headers', () => {
    const headers = { a: 'b' };
    deadLetterOf(source({ headers }), 'bad');
    expect(headers).toEqual({ a: 'b' });
  });
});

const stored = (partition: number, offset: number, headers: Record<string, string> = {}): StoredDeadLetter => ({
  partition,
  offset: String(offset),
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(`{"bad":${offset}`),
  headers: {
    'x-error': 'value is not JSON',
    'x-original-topic': 'port-events',
    'x-original-partition': '2',
    'x-original-offset': String(100 + offset),
    ...headers,
  },
});

describe('bridge > asDlqTopic / originOfDlq', () => {
  it.each([
    ['port-events', 'port-events.dlq'],
    ['port-events.dlq', 'port-events.dlq'],
  ])('%s → %s', (topic, expected) => expect(asDlqTopic(topic)).toBe(expected));

  it('names the topic a DLQ belongs to', () => expect(originOfDlq('a.b.dlq')).toBe('a.b'));
});

describe('bridge > describeDeadLetter', () => {
  it('gives the coordinates, the original coordinates, the error, own headers and previews', () => {
    expect(describeDeadLetter(stored(1, 3, { traceparent: 't-1' }))).toEqual({
      id: '1:3',
      partition: 1,
      offset: '3',
      originalTopic: 'port-events',
      originalPartition: 2,
      originalOffset: '103',
      error: 'value is not JSON',
      replayOf: null,
      key: 'k3',
      value: '{"bad":3',
      bytes: 8,
      headers: { traceparent: 't-1' },
    });
  });

  it('names the dead letter a replayed record came from', () => {
    expect(describeDeadLetter(stored(0, 9, { [REPLAY_HEADER]: 'port-events.dlq:1:4' })).replayOf).toBe(
      'port-events.dlq:1:4',
    );
  });

  it('cuts a long value and escapes control characters', () => {
    const d = describeDeadLetter({ ...stored(0, 1), value: Buffer.from(`a\nb${'x'.repeat(200)}`), key: null }, 10);
    expect(d.value).toBe('a\\x0abxxxxxxx…'); // 10 characters of the value, the line feed one of them
    expect(d.key).toBeNull();
  });

  it('escapes ANSI and control characters in the key, the value, every header name and value, and the error', () => {
    const esc = '\u001b[2J\u001b]0;owned\u0007\u009b1m\u202e';
    const shown = '\\x1b[2J\\x1b]0;owned\\x07\\u009b1m\\u202e';
    const d = describeDeadLetter({
      partition: 0,
      offset: '5',
      key: Buffer.from(`k${esc}`),
      value: Buffer.from(`v${esc}`),
      headers: {
        'x-error': `e${esc}`,
        'x-original-topic': `t${esc}`,
        'x-original-partition': `1${esc}`,
        'x-original-offset': `2${esc}`,
        [REPLAY_HEADER]: `r${esc}`,
        [`h${esc}`]: `hv${esc}`,
      },
    });
    expect(d).toMatchObject({
      key: `k${shown}`,
      value: `v${shown}`,
      error: `e${shown}`,
      originalTopic: `t${shown}`,
      originalOffset: `2${shown}`,
      replayOf: `r${shown}`,
      headers: { [`h${shown}`]: `hv${shown}` },
    });
    expect(d.originalPartition).toBeNull(); // not a number: not shown as one
    expect(JSON.stringify(d)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
  });

  it('shows the bytes of a key or value that is not UTF-8', () => {
    const d = describeDeadLetter({
      ...stored(0, 1),
      key: Buffer.from([0xff, 0x41]),
      value: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]),
    });
    expect(d).toMatchObject({ key: '\\xffA', value: '{\\xc3(}' });
  });

  it('cuts a huge forged header', () => {
    const d = describeDeadLetter(stored(0, 1, { 'x-error': 'e'.repeat(5000), big: 'b'.repeat(5000) }));
    expect(d.error).toBe(`${'e'.repeat(1000)}…`);
    expect(d.headers.big).toBe(`${'b'.repeat(200)}…`);
  });
});

describe('bridge > parseOffsets / resolveOffsets', () => {
  const ranges = [
    { partition: 0, low: '3', high: '8' },
    { partition: 1, low: '0', high: '5' },
    { partition: 2, low: '0', high: '0' },
  ];

  it('parses bare offsets and partition:offset pairs', () => {
    expect(parseOffsets('3, 1:7')).toEqual([
      { partition: undefined, offset: '3' },
      { partition: 1, offset: '7' },
    ]);
  });

  it.each(['', 'x', '1:', '-3', '1:2:3'])('refuses %j', (text) => expect(() => parseOffsets(text)).toThrow());

  it('escapes what it quotes of a bad selector', () => {
    expect(() => parseOffsets('\u001b[2J')).toThrow('"\\x1b[2J" is not an offset');
  });

  it('resolves by offset when unambiguous, and by partition:offset, in partition and offset order, once each', () => {
    expect(resolveOffsets(parseOffsets('7,0:4,1:3,1:0,7'), ranges)).toEqual([
      { partition: 0, offset: '4' },
      { partition: 0, offset: '7' },
      { partition: 1, offset: '0' },
      { partition: 1, offset: '3' },
    ]);
  });

  it('refuses an offset present in two partitions, naming them', () => {
    expect(() => resolveOffsets(parseOffsets('3'), ranges)).toThrow('partitions 0, 1');
  });

  it.each(['0:2', '0:8', '2:0', '9'])('refuses %s, outside every range', (text) => {
    expect(() => resolveOffsets(parseOffsets(text), ranges)).toThrow(`no dead letter at offset ${text}`);
  });
});

describe('bridge > replayOf', () => {
  it('goes back to the original topic with key and value untouched, own headers kept, dead-letter headers dropped, replay marked', () => {
    const letter = stored(1, 4, { traceparent: 't-1' });
    const replay = replayOf(letter, 'port-events.dlq');
    expect(replay.topic).toBe('port-events');
    expect(replay.message.key).toBe(letter.key);
    expect(replay.message.value).toBe(letter.value);
    expect(replay.message.headers).toEqual({ traceparent: 't-1', [REPLAY_HEADER]: 'port-events.dlq:1:4' });
  });

  it('refuses a record without x-original-topic', () => {
    expect(() => replayOf({ ...stored(0, 1), headers: {} }, 'x.dlq')).toThrow('x-original-topic');
  });
});

describe('bridge > planReplay', () => {
  const consumed = ['port-events', 'container-events'];

  it('replays a dead letter to the topic of its DLQ when the bridge consumes it', () => {
    expect(planReplay(stored(1, 4), 'port-events.dlq', consumed)).toEqual({
      ok: true,
      replay: replayOf(stored(1, 4), 'port-events.dlq'),
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'another consumed topic',
      { 'x-original-topic': 'container-events' },
      /x-original-topic "container-events" is not port-events, the topic of port-events.dlq/,
    ],
    ['a topic the bridge does not consume', { 'x-original-topic': 'payments' }, /"payments" is not port-events/],
    ['the DLQ itself (a loop)', { 'x-original-topic': 'port-events.dlq' }, /"port-events.dlq" is not port-events/],
    ['an internal topic', { 'x-original-topic': '__consumer_offsets' }, /is not port-events/],
    ['a name with escapes in it', { 'x-original-topic': 'port-events\u001b[2J' }, /"port-events\\x1b\[2J" is not/],
    ['no topic at all', { 'x-original-topic': '' }, /no x-original-topic header/],
  ])('refuses a dead letter naming %s', (_label, headers, reason) => {
    const plan = planReplay(stored(0, 5, headers), 'port-events.dlq', consumed);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reason).toMatch(reason);
  });

  it('refuses every dead letter of a DLQ whose topic the bridge does not consume', () => {
    const plan = planReplay(stored(0, 5, { 'x-original-topic': 'payments' }), 'payments.dlq', consumed);
    expect(plan).toEqual({ ok: false, reason: 'payments is not a topic the bridge consumes (KAFKA_TOPICS)' });
  });
});
