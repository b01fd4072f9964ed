import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QuaycastEvent } from '../../../../protocol/event.ts';
import { sampleEvent } from '../../../../protocol/fixtures.ts';
import { fakeRoomEnv, recordingListener } from '../../test/room-fakes.ts';
import type { ConnectionRequest } from './transport.ts';
import { webSocketTransport } from './websocket.ts';

const ev = (seq: number): QuaycastEvent => sampleEvent({ id: `e${seq}`, seq, severity: 'Low', title: `t${seq}` });

function setup(request: Partial<ConnectionRequest> = {}, openTimeoutMs = 5_000) {
  const { env, sockets } = fakeRoomEnv();
  const transport = webSocketTransport(env, { openTimeoutMs });
  const rec = recordingListener();
  const base: ConnectionRequest = {
    category: 'Container',
    origin: 'https://dash.test',
    token: 'TOKEN',
    severities: undefined,
    cursor: () => undefined,
  };
  const connection = transport.open({ ...base, ...request }, rec.listener);
  return { env, sockets, connection, ...rec, socket: () => sockets[0]! };
}

describe('web > room-client > webSocketTransport', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('opens wss:// with the filter and cursor in the query and the token as a subprotocol', () => {
    const { socket, connection } = setup({ severities: ['Critical', 'High'], cursor: () => 41 });
    expect(socket().url).toBe('wss://dash.test/api/rooms/Container/ws?severity=Critical%2CHigh&after=41');
    expect(socket().protocols).toEqual(['quaycast.v1', 'bearer.TOKEN']);
    connection.close();
  });

  it('is opened by the hello, not before; every frame is passed on validated, others are dropped', () => {
    const { socket, log, messages, connection } = setup();
    socket().onmessage?.({ data: 'pong' }); // the auto-response: not a room message
    socket().onmessage?.({ data: new ArrayBuffer(4) }); // the room sends no binary frames
    socket().push({ type: 'shout', text: 'hi' });
    expect(log).toEqual([]);
    socket().hello(10);
    socket().push({ type: 'events', events: [ev(11), { id: 'x' }] });
    expect(log).toEqual(['opened', 'message:hello', 'message:events']);
    expect(messages[1]).toEqual({ type: 'events', events: [ev(11)] });
    connection.close();
  });

  it('acks the highest seq this socket received at most every 200 ms, not a cursor from elsewhere, and pings every 20 s', async () => {
    const { socket, connection } = setup({ cursor: () => 500 });
    socket().hello(100);
    socket().push({ type: 'events', events: [ev(101)] });
    socket().push({ type: 'events', events: [ev(103), ev(102)] });
    expect(socket().sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(socket().sent).toEqual([JSON.stringify({ type: 'ack', seq: 103 })]);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket().sent.filter((f) => f === 'ping')).toHaveLength(1);
    connection.close();
    expect(socket().closedWith).toBe(1000);
    const sentBefore = socket().sent.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(socket().sent).toHaveLength(sentBefore);
  });

  it('sends no ping before the hello', async () => {
    const { socket, connection } = setup({}, 60_000);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket().sent).toEqual([]);
    socket().hello(0);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(socket().sent).toEqual(['ping']);
    connection.close();
  });

  it('closes a socket that has not said hello within openTimeoutMs (4001), reported as a close before hello', async () => {
    const { socket, ends } = setup();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(socket().closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket().closedWith).toBe(4001);
    expect(ends).toEqual([{ kind: 'closed', why: 'WebSocket closed before hello (4001)' }]);
  });

  it.each([
    [4401, { kind: 'token_expired', why: 'the token expired' }],
    [4429, { kind: 'capped', why: 'WebSocket refused (4429)' }],
    [1006, { kind: 'closed', why: 'WebSocket closed (1006)' }],
    [1012, { kind: 'closed', why: 'WebSocket closed (1012)' }],
  ] as const)('says how a greeted socket ended: close %i', (code, end) => {
    const { socket, ends } = setup();
    socket().hello(0);
    socket().close(code);
    expect(ends).toEqual([end]);
  });

  it('changes the filter in place with a subscribe frame only once the room has said hello', () => {
    const { socket, connection } = setup();
    expect(connection.changeFilter(['Critical'])).toBe(false);
    socket().hello(0);
    expect(connection.changeFilter(['Critical', 'High'])).toBe(true);
    expect(connection.changeFilter(undefined)).toBe(true);
    expect(socket().sent.map((f) => JSON.parse(f))).toEqual([
      { type: 'subscribe', severities: ['Critical', 'High'] },
      { type: 'subscribe', severities: [] },
    ]);
    connection.close();
  });

  it('reports nothing after close(), whatever the socket still does', () => {
    const { socket, connection, log } = setup();
    connection.close();
    socket().hello(0);
    socket().close(1006);
    expect(log).toEqual([]);
  });

  it('reports a socket that cannot be created as ended, before open returns', () => {
    const { env } = fakeRoomEnv();
    env.openSocket = () => {
      throw new SyntaxError('invalid URL');
    };
    const { listener, ends } = recordingListener();
    const request = {
      category: 'Ship',
      origin: 'http://x',
      token: undefined,
      severities: undefined,
      cursor: () => undefined,
    } as const;
    const connection = webSocketTransport(env, { openTimeoutMs: 5_000 }).open(request, listener);
    expect(ends).toEqual([{ kind: 'closed', why: 'WebSocket: invalid URL' }]);
    expect(connection.changeFilter(undefined)).toBe(false);
    connection.close();
  });
});
