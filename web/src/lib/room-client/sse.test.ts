import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QuaycastEvent } from '../../../../protocol/event.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv, recordingListener } from '../../test/room-fakes.ts';
import { eventStreamTransport } from './sse.ts';
import type { ConnectionRequest } from './transport.ts';

const ev = (seq: number): QuaycastEvent => sampleEvent({ id: `e${seq}`, seq, severity: 'Low', title: `t${seq}` });
const request = (over: Partial<ConnectionRequest> = {}): ConnectionRequest => ({
  category: 'Berth',
  origin: 'https://dash.test',
  token: 'T1',
  severities: undefined,
  cursor: () => 7,
  ...over,
});

function setup() {
  const fakes = fakeRoomEnv();
  const transport = eventStreamTransport(fakes.env, { openTimeoutMs: 5_000 });
  return { ...fakes, transport };
}

describe('web > room-client > eventStreamTransport', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('starts a server session before the first stream of a token, and again only for a new token', async () => {
    const { env, sources, transport } = setup();
    const a = transport.open(request({ severities: ['Low'] }), recordingListener().listener);
    expect(sources).toHaveLength(0); // the cookie first
    await vi.advanceTimersByTimeAsync(0);
    expect(sources[0]!.url).toBe('https://dash.test/api/rooms/Berth/sse?severity=Low&after=7');
    a.close();
    const b = transport.open(request(), recordingListener().listener);
    expect(sources).toHaveLength(2); // same token: no new session, the stream opens at once
    b.close();
    transport.open(request({ token: 'T2' }), recordingListener().listener).close();
    await vi.advanceTimersByTimeAsync(0);
    expect(env.openSession).toHaveBeenCalledTimes(2);
    expect(sources).toHaveLength(2); // closed before its session started: no stream
  });

  it('still opens the stream when the session cannot be started (it fails, and long-polling takes over)', async () => {
    const { env, sources, transport } = setup();
    env.openSession = vi.fn(async () => {
      throw new Error('offline');
    });
    transport.open(request(), recordingListener().listener);
    await vi.advanceTimersByTimeAsync(0);
    expect(sources).toHaveLength(1);
    transport.open(request(), recordingListener().listener);
    expect(env.openSession).toHaveBeenCalledTimes(2); // no session was made: the next stream asks again
  });

  it("is opened by the stream's open and passes on the room's unnamed data: events, validated; it listens to no named event", async () => {
    const { sources, transport } = setup();
    const { listener, log, messages } = recordingListener();
    const connection = transport.open(request(), listener);
    await vi.advanceTimersByTimeAsync(0);
    expect([...sources[0]!.listeners.keys()]).toEqual(['message']);
    sources[0]!.onopen?.({});
    sources[0]!.emit({ type: 'hello', room: 'Berth', connections: 2, lastSeq: 7 });
    sources[0]!.emit({ type: 'events', events: [ev(8), { seq: 'nine' }] });
    sources[0]!.emit('not a message');
    expect(log).toEqual(['opened', 'message:hello', 'message:events']);
    expect(messages[1]).toEqual({ type: 'events', events: [ev(8)] });
    connection.close();
    expect(sources[0]!.closed).toBe(true);
  });

  it("ends with token_expired on the room's event: error, after passing the message on, and closes the stream", async () => {
    const { sources, transport } = setup();
    const { listener, log, ends } = recordingListener();
    transport.open(request(), listener);
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onopen?.({});
    sources[0]!.onerror?.({ data: JSON.stringify({ type: 'error', code: 'token_expired', message: 'expired' }) });
    expect(log).toEqual(['opened', 'message:error', 'ended:token_expired']);
    expect(ends[0]!.why).toBe('the token expired');
    expect(sources[0]!.closed).toBe(true);
  });

  it('takes over from EventSource on a network error: closes the stream, and says whether it had opened', async () => {
    const { sources, transport } = setup();
    const before = recordingListener();
    transport.open(request(), before.listener);
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onerror?.({});
    expect(before.ends).toEqual([{ kind: 'closed', why: 'EventSource failed to open' }]);
    expect(sources[0]!.closed).toBe(true);
    const after = recordingListener();
    transport.open(request(), after.listener);
    sources[1]!.onopen?.({});
    sources[1]!.onerror?.({});
    expect(after.ends).toEqual([{ kind: 'closed', why: 'EventSource connection lost' }]);
  });

  it('closes a stream that has not opened within openTimeoutMs, reported as a failed open', async () => {
    const { sources, transport } = setup();
    const { listener, ends } = recordingListener();
    transport.open(request(), listener);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ends).toEqual([{ kind: 'closed', why: 'EventSource open timeout' }]);
    expect(sources[0]!.closed).toBe(true);
    sources[0]!.onopen?.({}); // too late: the stream is ours no more
    sources[0]!.emit({ type: 'presence', connections: 1 });
    expect(ends).toHaveLength(1);
  });
});
