import { describe, expect, it } from 'vitest';
import { deadLetterOf, dlqTopicOf, type DeadLetterSource } from './dlq.ts';

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
