/**
 * The integration fixture: events of each room, producing a run of them, and the checks every
 * fault test ends with — D1 holds exactly the run's ids, the group committed to the end, and a
 * socket saw each id once, in seq order. "Nothing more will come" is shown by a condition (the
 * group committed the end, a later sentinel arrived), never by sleeping.
 */
import { expect } from 'vitest';
import type { Category } from '../../protocol/enums.ts';
import { signJwt } from '../../protocol/jwt.ts';
import { kafka, produce } from './kafka.ts';
import { TEST_SECRETS } from './paths.ts';
import type { RoomSocket } from './room-client.ts';
import { until } from './wait.ts';
import type { WorkerHost } from './worker.ts';

/** Entity fields that make an event land in each room (DESIGN.md's category derivation). */
const ROOM_FIELDS: Record<Category, Record<string, string>> = {
  Container: { containerId: 'MSCU1234565' },
  Ship: { shipId: 'IMO9321483' },
  Berth: { berthId: 'EMX-03' },
  Port: { portId: 'NLRTM' },
  System: {},
};

/** A valid event of `room` with this id, as a producer would send it. */
export function eventOf(room: Category, id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    category: room,
    eventType: `${room}Test`,
    title: `${room} event ${id}`,
    severity: 'Medium',
    eventTime: new Date().toISOString(),
    ...ROOM_FIELDS[room],
    ...extra,
  };
}

/** `count` ids `<run>-<from>`… */
export function runIds(run: string, from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${run}-${from + i}`);
}

/** Produces one valid event of `room` per id (key = id). */
export async function produceEvents(topic: string, room: Category, ids: string[], partition?: number): Promise<void> {
  await produce(
    topic,
    ids.map((id) => ({
      key: id,
      value: JSON.stringify(eventOf(room, id)),
      ...(partition === undefined ? {} : { partition }),
    })),
  );
}

/** The ids D1 holds that start with `prefix`, sorted by id (or in the order they were stored: `'seq'`). */
export function storedIds(worker: WorkerHost, prefix: string, order: 'id' | 'seq' = 'id'): string[] {
  const sql =
    order === 'seq'
      ? 'SELECT id FROM events WHERE id LIKE ? ORDER BY seq'
      : 'SELECT id FROM events WHERE id LIKE ? ORDER BY id';
  return worker.query<{ id: string }>(sql, `${prefix}%`).map((r) => r.id);
}

/** Waits until D1 holds exactly `ids` among the ids starting with `prefix` (none missing, none extra). */
export async function untilStored(
  worker: WorkerHost,
  prefix: string,
  ids: string[],
  timeoutMs = 60_000,
): Promise<void> {
  const want = [...ids].sort();
  await until(
    `${want.length} events ${prefix}* in D1`,
    () => {
      const have = storedIds(worker, prefix);
      return have.length === want.length && have.every((id, i) => id === want[i]) ? true : undefined;
    },
    timeoutMs,
  );
}

/** The group's committed offset per partition of `topic` (-1 where none). */
export async function committedOffsets(
  groupId: string,
  topic: string,
  brokers?: string[],
): Promise<Map<number, number>> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group has committed the end of every partition of `topic`: no redelivery can follow. */
export async function untilCommittedToEnd(
  groupId: string,
  topic: string,
  timeoutMs = 30_000,
  brokers?: string[],
): Promise<void> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
    await until(
      `${groupId} committed to the end of ${topic}`,
      async () => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return t!.partitions.every(
          (p) => Number(p.offset) === ends.get(p.partition) || (ends.get(p.partition) === 0 && Number(p.offset) <= 0),
        )
          ? true
          : undefined;
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

export async function tokenFor(
  role: 'viewer' | 'producer' | 'operator' | 'admin',
  sub = `it-${role}`,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ sub, role, iat: now, exp: now + 3600 }, TEST_SECRETS.JWT_SECRET);
}

/** POST /api/events as a producer. */
export async function postEvents(worker: WorkerHost, body: unknown): Promise<Response> {
  return fetch(`${worker.url}/api/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await tokenFor('producer')}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/**
 * Stores a sentinel event in `room` through the API and waits until `socket` has it. A room pushes
 * in seq order, so everything the room pushed before the sentinel has reached the socket by then.
 */
export async function flushRoom(worker: WorkerHost, socket: RoomSocket, room: Category, run: string): Promise<void> {
  const id = `${run}-sentinel-${Math.random().toString(36).slice(2, 8)}`;
  const res = await postEvents(worker, eventOf(room, id));
  expect(res.status).toBe(201);
  await socket.waitForId(id);
}

/**
 * What a socket saw of the ids starting with `prefix`: each must come once, and their seqs in
 * increasing order. Returns the ids seen, in arrival order.
 */
export function expectSeenOnceInOrder(socket: RoomSocket, prefix: string): string[] {
  const seen = socket.events.filter((e) => e.id.startsWith(prefix));
  const ids = seen.map((e) => e.id);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(dupes, `ids seen twice at the socket`).toEqual([]);
  const seqs = seen.map((e) => e.seq);
  expect(seqs, 'seqs in arrival order').toEqual([...seqs].sort((a, b) => a - b));
  return ids;
}

/** How often each id starting with `prefix` reached the socket (a redelivery the Worker did not recognise shows as 2). */
export function timesSeen(socket: RoomSocket, prefix: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const e of socket.events) if (e.id.startsWith(prefix)) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  return seen;
}
