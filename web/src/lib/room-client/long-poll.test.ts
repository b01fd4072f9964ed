import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QuaycastEvent } from '../../../../protocol/event.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv, recordingListener } from '../../test/room-fakes.ts';
import { longPollTransport } from './long-poll.ts';
import type { ConnectionRequest } from './transport.ts';

const ev = (seq: number): QuaycastEvent => sampleEvent({ id: `e${seq}`, seq, severity: 'Low', title: `t${seq}` });
const page = (data: unknown, status = 200) => new Response(JSON.stringify({ data, nextCursor: null }), { status });

/**
 * A long-poll server the test answers by hand: each request waits for `answer()`; an aborted
 * request rejects as fetch does.
 */
function pollServer() {
  const requests: { url: URL; init: RequestInit; answer(r: Response): void }[] = [];
  const fetch = vi.fn(
    (url: string, init: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        requests.push({ url: new URL(url), init, answer: resolve });
      }),
  );
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests };
}

/** `token` null: signed out. */
function setup(cursor: number | undefined, token: string | null = 'TOKEN') {
  const server = pollServer();
  const { env } = fakeRoomEnv({ fetch: server.fetch });
  const rec = recordingListener();
  let held = cursor;
  // as the supervisor does: the cursor follows what was delivered and where it joined
  const listener = {
    ...rec.listener,
    joinedAt: (seq: number) => {
      held ??= seq;
      rec.listener.joinedAt(seq);
    },
    message: (m: Parameters<typeof rec.listener.message>[0]) => {
      if (m.type === 'events') for (const c of m.events) held = Math.max(held ?? 0, c.seq);
      rec.listener.message(m);
    },
  };
  const request: ConnectionRequest = {
    category: 'Port',
    origin: 'https://dash.test',
    token: token ?? undefined,
    severities: ['High'],
    cursor: () => held,
  };
  const connection = longPollTransport(env, { waitSeconds: 25, minIntervalMs: 1_000 }).open(request, listener);
  return { ...server, ...rec, connection };
}

describe('web > room-client > longPollTransport', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('without a cursor asks for the newest change first and joins live at its seq, with the token as a bearer header', async () => {
    const { requests, log, connection } = setup(undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests[0]!.url.pathname).toBe('/api/events');
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({ category: 'Port', limit: '1' });
    expect(requests[0]!.init.headers).toEqual({ accept: 'application/json', authorization: 'Bearer TOKEN' });
    requests[0]!.answer(page([ev(41)]));
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['joinedAt:41']);
    expect(Object.fromEntries(requests[1]!.url.searchParams)).toEqual({
      severity: 'High',
      after: '41',
      category: 'Port',
      wait: '25',
      limit: '500',
    });
    connection.close();
  });

  it('is opened by the first answer; delivers changes in seq order, leaves out what is no change, and asks again after the newest', async () => {
    const { requests, log, messages, connection } = setup(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests[0]!.url.searchParams.get('after')).toBe('3');
    requests[0]!.answer(page([ev(6), { id: 'bad' }, ev(4), { id: 'gone', seq: 5, deleted: true, category: 'Port' }]));
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['opened', 'message:events']);
    expect(messages[0]).toEqual({
      type: 'events',
      events: [ev(4), { id: 'gone', seq: 5, deleted: true, category: 'Port' }, ev(6)],
    });
    expect(requests[1]!.url.searchParams.get('after')).toBe('6');
    connection.close();
  });

  it('spaces out requests that come back empty at once (a server ignoring wait), by minIntervalMs', async () => {
    const { requests, connection } = setup(3);
    await vi.advanceTimersByTimeAsync(0);
    requests[0]!.answer(page([]));
    await vi.advanceTimersByTimeAsync(999);
    expect(requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(requests).toHaveLength(2);
    connection.close();
  });

  it('ends with token_expired on a 401, and as closed on any other refusal or an answer that is no page', async () => {
    for (const [answer, end] of [
      [
        new Response('{"error":{"code":"unauthorized","message":"expired"}}', { status: 401 }),
        { kind: 'token_expired', why: 'the token was refused' },
      ],
      [page([], 503), { kind: 'closed', why: 'long-poll: HTTP 503' }],
      [
        new Response('{"data":{"0":{}}}', { status: 200 }),
        { kind: 'closed', why: 'long-poll: the answer is not a page of events' },
      ],
    ] as const) {
      const { requests, ends, log } = setup(3);
      await vi.advanceTimersByTimeAsync(0);
      requests[0]!.answer(answer);
      await vi.advanceTimersByTimeAsync(0);
      expect(ends).toEqual([end]);
      expect(log).not.toContain('opened');
      expect(requests).toHaveLength(1);
    }
  });

  it('close() aborts the request in flight and reports nothing, however it ends', async () => {
    const { requests, log, connection } = setup(3);
    await vi.advanceTimersByTimeAsync(0);
    connection.close();
    expect(requests[0]!.init.signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('sends no authorization header without a token (the session cookie may still admit it)', async () => {
    const { requests, connection } = setup(3, null);
    await vi.advanceTimersByTimeAsync(0);
    expect(requests[0]!.init.headers).toEqual({ accept: 'application/json' });
    connection.close();
  });
});
