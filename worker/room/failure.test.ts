import { describe, expect, it } from 'vitest';
import { RoomUnavailableError, failedBeforeSending, roomFailure } from './failure.ts';

const remote = (message: string) => Object.assign(new Error(message), { remote: true });

describe('worker > room > failure', () => {
  it('names every failed room in one retriable RoomUnavailableError, keeping the first cause', () => {
    const d1 = remote('D1_ERROR: injected');
    const err = roomFailure([
      ['Ship', d1],
      ['Berth', new Error('Network connection lost.')],
    ]);
    expect(err).toBeInstanceOf(RoomUnavailableError);
    expect((err as RoomUnavailableError).rooms).toEqual(['Ship', 'Berth']);
    expect((err as RoomUnavailableError).retriable).toBe(true);
    expect(err.cause).toBe(d1);
    expect(err.message).toBe('rooms Ship, Berth could not store events right now; retry later');
  });

  it('rethrows a failure to serialize the events as it is: that is about the content, not the room', () => {
    const overflow = new RangeError('Maximum call stack size exceeded');
    const clone = Object.assign(new Error('could not be cloned'), { name: 'DataCloneError' });
    expect(failedBeforeSending(overflow)).toBe(true);
    expect(failedBeforeSending(clone)).toBe(true);
    expect(
      roomFailure([
        ['Ship', remote('x')],
        ['Port', overflow],
      ]),
    ).toBe(overflow);
  });

  it('treats errors thrown inside the room (remote) and infrastructure errors as the room being unavailable', () => {
    expect(failedBeforeSending(Object.assign(new RangeError('inside the room'), { remote: true }))).toBe(false);
    expect(failedBeforeSending(new Error('Durable Object reset because its code was updated.'))).toBe(false);
    expect(failedBeforeSending('not an error')).toBe(false);
  });
});
