/**
 * Room connections per token: at most ROOM_CONNECTIONS_PER_TOKEN (10) in one room and
 * CONNECTIONS_PER_TOKEN (40) across rooms, WebSockets and SSE streams alike. Over a cap: 429 with
 * `Retry-After` and `details.limit`, or for a browser an in-socket `error` + 4429. Another token
 * is never affected, and a closed connection frees its place. Own runtime (room-support.ts).
 */
import { SELF, env } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, type Category } from '../../protocol/enums.ts';
import { CLOSE, ROOM_SUBPROTOCOL, type ErrorMessage } from '../../protocol/room.ts';
import { rateLimiterStub } from '../../worker/limiter/stub.ts';
import { BASE, token, uid, type ApiErrorBody } from './helpers.ts';
import {
  adoptSocket,
  claimStorage,
  event,
  ingestEvents,
  openSocket,
  roomOf,
  until,
  type SocketClient,
} from './room-support.ts';

const PER_ROOM = 10;
const PER_TOKEN = 40;

const open: SocketClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

function upgradeAs(jwt: string, room: Category, browser = false): Promise<Response> {
  const headers: Record<string, string> = { upgrade: 'websocket' };
  if (browser) headers['sec-websocket-protocol'] = `${ROOM_SUBPROTOCOL}, bearer.${jwt}`;
  else headers.authorization = `Bearer ${jwt}`;
  return SELF.fetch(`${BASE}/api/rooms/${room}/ws`, { headers });
}

async function socketAs(jwt: string, room: Category): Promise<SocketClient> {
  const c = await openSocket(room, { noAuthHeader: true, headers: { authorization: `Bearer ${jwt}` } });
  open.push(c);
  await c.hello;
  return c;
}

async function expect429(res: Response, limit: string): Promise<void> {
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await res.json()) as ApiErrorBody;
  expect(body.error.code).toBe('rate_limited');
  expect(body.error.details).toEqual({ limit });
}

describe.sequential('limits > room connections per token', () => {
  beforeAll(async () => {
    await claimStorage('limits-connections');
  });

  it(`caps one token at ${PER_ROOM} connections in a room: the next socket or SSE stream is a 429 (room_connections), another token is unaffected, a close frees a place`, async () => {
    const greedy = await token('viewer', uid('greedy'));
    const sockets = [];
    for (let i = 0; i < PER_ROOM; i++) sockets.push(await socketAs(greedy, 'Ship'));

    await expect429(await upgradeAs(greedy, 'Ship'), 'room_connections');
    await expect429(
      await SELF.fetch(`${BASE}/api/rooms/Ship/sse`, { headers: { authorization: `Bearer ${greedy}` } }),
      'room_connections',
    );

    // Another token in the same room, and the same token in another room, are served.
    const other = await socketAs(await token('viewer', uid('calm')), 'Ship');
    const elsewhere = await socketAs(greedy, 'Berth');
    const ids = await ingestEvents([event('Ship')]);
    await Promise.all([other.waitForIds(ids), sockets[0]!.waitForIds(ids)]);
    expect(elsewhere.response.status).toBe(101);

    // Closing one frees its place.
    sockets[0]!.close();
    const again = await until('a freed place in the room', async () => {
      const res = await upgradeAs(greedy, 'Ship');
      if (res.status === 101) return res;
      await res.body?.cancel();
      return undefined;
    });
    open.push(adoptSocket(again));
  });

  it('tells a browser over the cap inside the socket: error rate_limited with details, then close 4429', async () => {
    const greedy = await token('viewer', uid('tabs'));
    for (let i = 0; i < PER_ROOM; i++) await socketAs(greedy, 'Container');
    const res = await upgradeAs(greedy, 'Container', true);
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-protocol')).toBe(ROOM_SUBPROTOCOL);
    const refused = adoptSocket(res);
    const error = (await refused.waitFor((m) => m.type === 'error')) as ErrorMessage;
    expect(error).toMatchObject({ code: 'rate_limited', details: { limit: 'room_connections' } });
    expect(error.details!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((await refused.closed).code).toBe(CLOSE.rateLimited);
    expect(refused.messages.some((m) => m.type === 'hello')).toBe(false);
  });

  it(`caps one token at ${PER_TOKEN} connections across rooms (connections), browsers told in the socket; another token is unaffected`, async () => {
    const wall = await token('viewer', uid('wall'));
    const rooms = CATEGORIES.slice(0, PER_TOKEN / PER_ROOM);
    for (const room of rooms) for (let i = 0; i < PER_ROOM; i++) await socketAs(wall, room);
    const spare = CATEGORIES.find((c) => !rooms.includes(c))!;

    await expect429(await upgradeAs(wall, spare), 'connections');
    await expect429(
      await SELF.fetch(`${BASE}/api/rooms/${spare}/sse`, { headers: { authorization: `Bearer ${wall}` } }),
      'connections',
    );
    const browser = adoptSocket(await upgradeAs(wall, spare, true));
    expect(((await browser.waitFor((m) => m.type === 'error')) as ErrorMessage).details?.limit).toBe('connections');
    expect((await browser.closed).code).toBe(CLOSE.rateLimited);

    await socketAs(await token('viewer', uid('bystander')), spare);
  });

  it('forgets leases of connections a room no longer has (a release lost with a room) when they would refuse someone', async () => {
    const sub = uid('ghosts');
    const limiter = rateLimiterStub(env, sub);
    const room = roomOf('System').id.toString();
    for (let i = 0; i < PER_TOKEN; i++)
      expect(await limiter.acquire('connection', PER_TOKEN, { id: `ghost-${i}`, room })).toEqual({ ok: true });
    expect(await limiter.held('connection')).toBe(PER_TOKEN);
    const c = await socketAs(await token('viewer', sub), 'System'); // the ghosts are checked with the room and dropped
    expect(c.response.status).toBe(101);
    expect(await limiter.held('connection')).toBe(1);
  });
});
