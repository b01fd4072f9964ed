import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../protocol/enums.ts';
import { newSubscriberState, restoredState } from './subscriber.ts';

const who = { user: 'viewer-1', exp: 1_900_000_000, conn: 'lease-1' };

describe('worker > room > subscriber > newSubscriberState', () => {
  it('is live at lastSeq without a cursor, catches up from one below it, and takes one above it as live at lastSeq', () => {
    expect(newSubscriberState(who, null, undefined, 50, 7)).toEqual({
      severities: null,
      live: true,
      cursor: 50,
      user: 'viewer-1',
      connectedAt: 7,
      exp: 1_900_000_000,
      conn: 'lease-1',
    });
    expect(newSubscriberState(who, null, 20, 50, 7)).toMatchObject({ live: false, cursor: 20 });
    expect(newSubscriberState(who, null, 50, 50, 7)).toMatchObject({ live: true, cursor: 50 });
    expect(newSubscriberState(who, null, 90, 50, 7)).toMatchObject({ live: true, cursor: 50 });
  });

  it('takes all four severities as no filter, and leaves exp and conn out when the token has none', () => {
    expect(newSubscriberState(who, [...SEVERITIES], undefined, 0, 0).severities).toBeNull();
    expect(newSubscriberState(who, ['Critical'], undefined, 0, 0).severities).toEqual(['Critical']);
    const bare = newSubscriberState({ user: 'u', exp: undefined, conn: undefined }, null, undefined, 0, 0);
    expect(Object.keys(bare)).toEqual(['severities', 'live', 'cursor', 'user', 'connectedAt']);
  });
});

describe('worker > room > subscriber > restoredState', () => {
  it('re-derives a live socket cursor as lastSeq after a wake, keeps a catching-up one, and takes a socket without attachment as live', () => {
    const attachment = { severities: null, live: true, cursor: 40, user: 'u', connectedAt: 1 };
    expect(restoredState(attachment, 45, 9)).toEqual({ ...attachment, cursor: 45 });
    expect(restoredState({ ...attachment, live: false, cursor: 12 }, 45, 9)).toMatchObject({ live: false, cursor: 12 });
    expect(restoredState(null, 45, 9)).toEqual({
      severities: null,
      live: true,
      cursor: 45,
      user: 'unknown',
      connectedAt: 9,
    });
  });
});
