import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Change, QuaycastEvent } from '../../../../protocol/event.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv } from '../../test/room-fakes.ts';
import { RoomClient } from './supervisor.ts';

const ev = (seq: number, id = `e${seq}`): QuaycastEvent => sampleEvent({ id, seq, severity: 'Low', title: `t${seq}` });

function setup(opts: { cursor?: number; fetch?: typeof fetch } = {}) {
  const { env, sockets, sources } = fakeRoomEnv(opts.fetch ? { fetch: opts.fetch } : {});
  const received: Change[] = [];
  const client = new RoomClient({
    category: 'Container',
    origin: 'http://dash.test',
    token: () => 'TOKEN',
    cursor: opts.cursor,
    env,
    onChanges: (c) => received.push(...c),
    backoff: { initialMs: 1000, maxMs: 30_000, factor: 2 },
    probeWebSocketEveryMs: 60_000,
    openTimeoutMs: 5_000,
  });
  return { client, sockets, sources, received, env };
}

describe('web > RoomClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens the room socket with the token as a subprotocol and the cursor as after', () => {
    const { client, sockets } = setup({ cursor: 41 });
    client.start();
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.url).toBe('ws://dash.test/api/rooms/Container/ws?after=41');
    expect(sockets[0]!.protocols).toEqual(['quaycast.v1', 'bearer.TOKEN']);
    client.stop();
  });

  it('stop() closes the open socket and tries nothing more', async () => {
    const { client, sockets } = setup({ cursor: 3 });
    client.start();
    sockets[0]!.hello(3);
    client.stop();
    expect(sockets[0]!.closedWith).toBe(1000);
    expect(client.status.state).toBe('stopped');
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(sockets).toHaveLength(1);
  });

  it('resumes after a lost socket from the last seq it received, after a backoff step', async () => {
    const { client, sockets, received } = setup();
    client.start();
    sockets[0]!.hello(10); // live join: the cursor starts at the room's lastSeq
    sockets[0]!.push({ type: 'events', events: [ev(11), ev(12)] });
    expect(client.cursor).toBe(12);
    expect(client.status.state).toBe('open');
    sockets[0]!.close(1006);
    expect(client.status.state).toBe('waiting');
    // attempt 0: half of 1000 fixed + 0.5 * 500 random = 750 ms
    expect(client.status.retryAt! - Date.now()).toBe(750);
    await vi.advanceTimersByTimeAsync(749);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.url).toContain('after=12');
    expect(received.map((c) => c.seq)).toEqual([11, 12]);
    client.stop();
  });

  it('grows the backoff while connections drop at once, and starts over after a stable one', async () => {
    const { client, sockets } = setup({ cursor: 0 });
    client.start();
    sockets[0]!.hello(0);
    sockets[0]!.close(1006); // lost: retry in 750
    await vi.advanceTimersByTimeAsync(750);
    sockets[1]!.hello(0);
    sockets[1]!.close(1006); // dropped right away again: attempt 1 → 1000 + 0.5 * 1000
    expect(client.status.retryAt! - Date.now()).toBe(1500);
    await vi.advanceTimersByTimeAsync(1500);
    sockets[2]!.hello(0);
    await vi.advanceTimersByTimeAsync(5000); // stable
    sockets[2]!.close(1006);
    expect(client.status.retryAt! - Date.now()).toBe(750);
    client.stop();
  });

  it('honours a server reconnect message: comes back after afterMs with its cursor', async () => {
    const { client, sockets } = setup({ cursor: 5 });
    client.start();
    sockets[0]!.hello(5);
    sockets[0]!.push({ type: 'events', events: [ev(6)] });
    sockets[0]!.push({ type: 'reconnect', afterMs: 4000, reason: 'drain' });
    sockets[0]!.close(1012);
    await vi.advanceTimersByTimeAsync(3999);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000); // + at most 1 s of jitter
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.url).toContain('after=6');
    client.stop();
  });

  it('honours reconnect on an SSE stream too: the room sheds it with retry: and reconnect, then ends it', async () => {
    const { client, sockets, sources } = setup({ cursor: 5 });
    client.start();
    sockets[0]!.close(1006);
    await vi.advanceTimersByTimeAsync(1000);
    sockets[1]!.close(1006); // WebSocket blocked: SSE
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onopen?.({});
    sources[0]!.emit({ type: 'events', events: [ev(6)] });
    sources[0]!.emit({ type: 'reconnect', afterMs: 4000, reason: 'slow_consumer' });
    sources[0]!.onerror?.({}); // the stream ends
    expect(sources[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(3999); // a backoff step would have come back after 750 ms
    expect(sources).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sources).toHaveLength(2);
    expect(sources[1]!.url).toBe('http://dash.test/api/rooms/Container/sse?after=6');
    client.stop();
  });

  it('falls back to SSE after two failed socket attempts, then to long-polling, keeping the cursor', async () => {
    // a long-poll server: what is after the cursor, else an empty page
    const fetchMock = vi.fn(async (url: string) => {
      const after = Number(new URL(url).searchParams.get('after'));
      return new Response(JSON.stringify({ data: after < 9 ? [ev(9)] : [], nextCursor: null }), { status: 200 });
    });
    const { client, sockets, sources, env } = setup({ cursor: 7, fetch: fetchMock as unknown as typeof fetch });
    client.start();
    sockets[0]!.close(1006); // never said hello
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(2);
    sockets[1]!.close(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(env.openSession).toHaveBeenCalled();
    expect(sources).toHaveLength(1);
    expect(sources[0]!.url).toBe('http://dash.test/api/rooms/Container/sse?after=7');
    sources[0]!.onerror?.({});
    await vi.advanceTimersByTimeAsync(1000);
    expect(sources).toHaveLength(2);
    sources[1]!.onerror?.({});
    await vi.advanceTimersByTimeAsync(0);
    expect(client.transport).toBe('poll');
    const url = String(fetchMock.mock.calls[0]![0]);
    expect(url).toContain('/api/events?');
    expect(url).toContain('after=7');
    expect(url).toContain('category=Container');
    expect(url).toContain('wait=25');
    await vi.advanceTimersByTimeAsync(0);
    expect(client.status).toMatchObject({ state: 'open', transport: 'poll' });
    expect(client.cursor).toBe(9);
    client.stop();
  });

  it('on a fallback, tries WebSocket again periodically and stays on it once it says hello', async () => {
    const { client, sockets, sources, received } = setup({ cursor: 3 });
    client.start();
    sockets[0]!.close(1006);
    await vi.advanceTimersByTimeAsync(1000);
    sockets[1]!.close(1006);
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onopen?.({});
    sources[0]!.emit({ type: 'events', events: [ev(4)] });
    expect(client.status.transport).toBe('sse');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sources[0]!.closed).toBe(true);
    expect(sockets).toHaveLength(3);
    expect(sockets[2]!.url).toContain('after=4');
    sockets[2]!.hello(4);
    sockets[2]!.push({ type: 'events', events: [ev(5)] });
    expect(client.status).toMatchObject({ state: 'open', transport: 'ws' });
    expect(received.map((c) => c.seq)).toEqual([4, 5]);
    client.stop();
  });

  it('goes straight back to the fallback when the WebSocket probe fails', async () => {
    const { client, sockets, sources } = setup({ cursor: 3 });
    client.start();
    sockets[0]!.close(1006);
    await vi.advanceTimersByTimeAsync(1000);
    sockets[1]!.close(1006);
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onopen?.({});
    await vi.advanceTimersByTimeAsync(60_000);
    sockets[2]!.close(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(sources).toHaveLength(2);
    expect(client.transport).toBe('sse');
    client.stop();
  });

  it('sends a subscribe frame when severities change on an open socket', () => {
    const { client, sockets } = setup();
    client.start();
    sockets[0]!.hello(0);
    client.setSeverities(['Critical', 'High']);
    expect(JSON.parse(sockets[0]!.sent[0]!)).toEqual({ type: 'subscribe', severities: ['Critical', 'High'] });
    client.stop();
  });

  it('ignores frames that are not room messages and events that fail validation', () => {
    const { client, sockets, received } = setup();
    client.start();
    sockets[0]!.hello(0);
    sockets[0]!.onmessage?.({ data: 'pong' });
    sockets[0]!.push({
      type: 'events',
      events: [{ id: 'x' }, ev(1), { id: 'gone', seq: 2, deleted: true, category: 'Container' }],
    });
    expect(received.map((c) => c.id)).toEqual(['e1', 'gone']);
    client.stop();
  });
});
