/**
 * The room client and tokens that end (contract 4) or connections over a cap (contract 5):
 * `token_expired` / 4401 / a long-poll's 401 stop the client (no reconnect loop) with its cursor
 * kept, `resume()` carries on from that cursor; a 4429 is waited out for the time the room named.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QuaycastEvent } from '../../../../protocol/event.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv } from '../../test/room-fakes.ts';
import { summarize } from '../status.ts';
import { RoomClient } from './supervisor.ts';

const ev = (seq: number): QuaycastEvent => sampleEvent({ id: `e${seq}`, seq, severity: 'Low', title: `t${seq}` });

function setup(opts: { fetch?: typeof fetch; tokenExpired?: () => boolean } = {}) {
  const { env, sockets, sources } = fakeRoomEnv(opts.fetch ? { fetch: opts.fetch } : {});
  const expiries = vi.fn();
  const client = new RoomClient({
    category: 'Container',
    origin: 'http://dash.test',
    token: () => 'TOKEN',
    severities: ['Critical', 'High'],
    env,
    onChanges: () => {},
    onTokenExpired: expiries,
    ...(opts.tokenExpired ? { isTokenExpired: opts.tokenExpired } : {}),
    backoff: { initialMs: 1000, maxMs: 30_000, factor: 2 },
  });
  return { client, sockets, sources, expiries };
}

describe('web > RoomClient > tokens that end, caps', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('stops on token_expired + 4401 (no reconnect loop), keeps its cursor, and resume() carries on from it with the same filter', async () => {
    const { client, sockets, expiries } = setup();
    client.start();
    sockets[0]!.hello(10);
    sockets[0]!.push({ type: 'events', events: [ev(11), ev(12)] });
    sockets[0]!.push({ type: 'error', code: 'token_expired', message: 'the token of this connection has expired' });
    sockets[0]!.close(4401);
    expect(client.status.state).toBe('expired');
    expect(expiries).toHaveBeenCalledTimes(1);
    expect(summarize([client.status], true, Date.now()).label).toBe('Sign-in expired — sign in again');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(sockets).toHaveLength(1); // nothing tried with the ended token
    client.resume();
    expect(sockets).toHaveLength(2);
    expect(sockets[1]!.url).toBe('ws://dash.test/api/rooms/Container/ws?severity=Critical%2CHigh&after=12');
    sockets[1]!.hello(12);
    expect(client.status.state).toBe('open');
    client.stop();
  });

  it('treats a bare 4401 close the same way, and resume() does nothing unless expired', () => {
    const { client, sockets } = setup();
    client.start();
    client.resume();
    expect(sockets).toHaveLength(1);
    sockets[0]!.hello(5);
    sockets[0]!.close(4401);
    expect(client.status.state).toBe('expired');
    client.stop();
  });

  it("stops when the SSE stream ends with the room's event: error token_expired", async () => {
    const { client, sockets, sources, expiries } = setup();
    client.start();
    sockets[0]!.close(1006); // WebSocket blocked twice: SSE takes over
    await vi.advanceTimersByTimeAsync(1_000);
    sockets[1]!.close(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(sources).toHaveLength(1);
    sources[0]!.onopen?.({});
    sources[0]!.onerror?.({ data: JSON.stringify({ type: 'error', code: 'token_expired', message: 'expired' }) });
    expect(client.status.state).toBe('expired');
    expect(sources[0]!.closed).toBe(true);
    expect(expiries).toHaveBeenCalledTimes(1);
    client.stop();
  });

  it('stops when a long-poll is answered 401 (it fails at its next request)', async () => {
    const fetch = vi.fn(
      async () => new Response('{"error":{"code":"unauthorized","message":"expired"}}', { status: 401 }),
    ) as unknown as typeof globalThis.fetch;
    const { client, sockets, sources, expiries } = setup({ fetch });
    client.start();
    sockets[0]!.close(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    sockets[1]!.close(1006); // then SSE, which fails twice too: long-polling
    await vi.advanceTimersByTimeAsync(0);
    sources[0]!.onerror?.({});
    await vi.advanceTimersByTimeAsync(1_000);
    sources[1]!.onerror?.({});
    await vi.advanceTimersByTimeAsync(0);
    expect(sources).toHaveLength(2);
    expect(fetch).toHaveBeenCalled();
    expect(client.status.state).toBe('expired');
    expect(expiries).toHaveBeenCalledTimes(1);
    client.stop();
  });

  it('asks the token’s own exp after a refused attempt: an upgrade refused for an ended token is not retried', () => {
    const { client, sockets } = setup({ tokenExpired: () => true });
    client.start();
    sockets[0]!.close(1006);
    expect(client.status.state).toBe('expired');
    client.stop();
  });

  it('waits out a 4429 for the retryAfterSeconds the room named, on WebSocket, without counting it as a blocked socket', async () => {
    const { client, sockets } = setup();
    client.start();
    sockets[0]!.push({
      type: 'error',
      code: 'rate_limited',
      message: 'too many',
      details: { limit: 'room_connections', retryAfterSeconds: 30 },
    });
    sockets[0]!.close(4429);
    expect(client.status.state).toBe('waiting');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(sockets).toHaveLength(2);
    expect(client.transport).toBe('ws');
    client.stop();
  });
});
