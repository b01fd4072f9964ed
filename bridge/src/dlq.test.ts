import { describe, expect, it } from 'vitest';
import { REPLAY_HEADER, asDlqTopic, deadLetterOf, describeDeadLetter, dlqTopicOf, parseOffsets, replayOf, selectDeadLetters, type DeadLetterSource, type StoredDeadLetter } from './dlq.ts';

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
    const letter = deadLetterOf(source({ headers: { traceparent: trace, 'content-type': 'application/json', multi: ['a', Buffer.from('b')], gone: undefined } }), 'bad');
    expect(letter.message.headers).toMatchObject({ traceparent: trace, 'content-type': 'application/json', multi: ['a', Buffer.from('b')] });
    expect(letter.message.headers).not.toHaveProperty('gone');
  });

  it('overrides original headers of the same x- names (a record re-dead-lettered says why now)', () => {
    const letter = deadLetterOf(source({ headers: { 'x-error': 'old', 'x-original-topic': 'elsewhere' } }), 'new reason');
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
  headers: { 'x-error': 'value is not JSON', 'x-original-topic': 'port-events', 'x-original-partition': '2', 'x-original-offset': String(100 + offset), ...headers },
});

describe('bridge > asDlqTopic', () => {
  it.each([
    ['port-events', 'port-events.dlq'],
    ['port-events.dlq', 'port-events.dlq'],
  ])('%s → %s', (topic, expected) => expect(asDlqTopic(topic)).toBe(expected));
});

describe('bridge > describeDeadLetter', () => {
  it('gives the coordinates, the original coordinates, the error and previews', () => {
    expect(describeDeadLetter(stored(1, 3))).toEqual({
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
    });
  });

  it('names the dead letter a replayed record came from', () => {
    expect(describeDeadLetter(stored(0, 9, { [REPLAY_HEADER]: 'port-events.dlq:1:4' })).replayOf).toBe('port-events.dlq:1:4');
  });

  it('cuts a long value and escapes control characters', () => {
    const d = describeDeadLetter({ ...stored(0, 1), value: Buffer.from(`a\nb${'x'.repeat(200)}`), key: null }, 10);
    expect(d.value).toBe('a\\x0abxxxx…');
    expect(d.key).toBeNull();
  });
});

describe('bridge > parseOffsets / selectDeadLetters', () => {
  const letters = [stored(0, 3), stored(0, 7), stored(1, 3), stored(1, 4)];

  it('parses bare offsets and partition:offset pairs', () => {
    expect(parseOffsets('3, 1:7')).toEqual([{ partition: undefined, offset: '3' }, { partition: 1, offset: '7' }]);
  });

  it.each(['', 'x', '1:', '-3', '1:2:3'])('refuses %j', (text) => expect(() => parseOffsets(text)).toThrow());

  it('selects by offset when unambiguous, and by partition:offset, in topic order', () => {
    expect(selectDeadLetters(letters, parseOffsets('4,0:7,1:3')).map((l) => `${l.partition}:${l.offset}`)).toEqual(['0:7', '1:3', '1:4']);
  });

  it('refuses an offset present in two partitions, naming them', () => {
    expect(() => selectDeadLetters(letters, parseOffsets('3'))).toThrow('partitions 0, 1');
  });

  it('refuses an offset that matches nothing', () => {
    expect(() => selectDeadLetters(letters, parseOffsets('0:4'))).toThrow('no dead letter at offset 0:4');
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
