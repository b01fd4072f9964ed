/**
 * The archive on real parts (docs/archive.md): the Worker under `wrangler dev` with local D1 and
 * R2 persisted in a folder, the move stopped at each of its steps and the Worker then killed and
 * started again on the same state, as a crash or a deploy would; the next run ends with every
 * change exactly once, and a real WebSocket resuming from a seq only the archive holds gets every
 * later change in order, once, then live.
 */
import { describe, expect, it } from 'vitest';
import { eventOf, expectSeenOnceInOrder, postEvents, tokenFor } from '../support/fixture.ts';
import { TEST_SECRETS } from '../support/paths.ts';
import { usePipeline } from '../support/pipeline.ts';

const pipe = usePipeline();
const DAY_MS = 86_400_000;
/** Past the hot window (HOT_DAYS = 7) of everything stored during the test. */
const later = () => Date.now() + 8 * DAY_MS;

/** Until every room's rule runner has read its changefeed to the end: a move takes nothing the rules have not read. */
async function rulesCaughtUp(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const behind = pipe.worker.query<{ category: string }>(
      `SELECT c.category FROM rule_cursors c
         WHERE c.seq < (SELECT coalesce(max(seq), 0) FROM events e WHERE e.category = c.category)`,
    );
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`rule runners behind: ${JSON.stringify(behind)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function archive(body: Record<string, unknown>): Promise<Response> {
  await rulesCaughtUp();
  return fetch(`${pipe.worker.url}/internal/archive`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_SECRETS.INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Stores events through the Kafka ingest path (no outbox rows, so they may move at once). */
async function ingest(room: string, ids: string[], from: number): Promise<void> {
  const res = await fetch(`${pipe.worker.url}/internal/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_SECRETS.INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      records: ids.map((id, i) => ({
        topic: 'port-events',
        partition: 0,
        offset: String(from + i),
        key: null,
        value: JSON.stringify(eventOf(room as 'Container', id)),
      })),
    }),
  });
  expect(res.status).toBe(200);
}

/** The room's whole changefeed through the API (both tiers), as a reader sees it. */
async function feed(room: string): Promise<{ id: string; seq: number }[]> {
  const out: { id: string; seq: number }[] = [];
  let cursor: string | null = null;
  const auth = { authorization: `Bearer ${await tokenFor('viewer')}` };
  do {
    const q = new URLSearchParams({ category: room, after: '0', limit: '500' });
    if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${pipe.worker.url}/api/events?${q}`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { id: string; seq: number }[]; nextCursor: string | null };
    out.push(...body.data.map((e) => ({ id: e.id, seq: e.seq })));
    cursor = body.nextCursor;
  } while (cursor);
  return out;
}

/** Rows of `ids` in D1, and the archive's manifest rows by state (read from the D1 file, outside the Worker). */
function d1State(ids: string[]) {
  const inD1 = pipe.worker.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM events WHERE id IN (SELECT value FROM json_each(?1))',
    JSON.stringify(ids),
  )[0]!.n;
  const objects = pipe.worker.query<{ state: string; n: number }>(
    'SELECT state, COUNT(*) AS n FROM archive_objects GROUP BY state',
  );
  return { inD1, objects: Object.fromEntries(objects.map((o) => [o.state, o.n])) };
}

describe('archive > killed at each step of a move, on real workerd', () => {
  for (const [i, point] of (['before-put', 'after-put', 'after-commit'] as const).entries()) {
    it(`a kill ${point.replace('-', ' ')} loses and duplicates nothing once the Worker is back`, async () => {
      const run = `arc-kill-${i}-${Date.now().toString(36)}`;
      const ids = Array.from({ length: 50 }, (_, k) => `${run}-${String(k).padStart(3, '0')}`);
      await ingest('Container', ids, 1000 * (i + 1));
      const before = await feed('Container');

      const stopped = await archive({ now: later(), fault: point, maxMoves: 1 });
      expect(stopped.status).toBe(503);
      expect(((await stopped.json()) as { error: { code: string } }).error.code).toBe('archive_fault');
      const atKill = d1State(ids);
      if (point === 'after-commit') expect(atKill.inD1).toBe(0);
      else {
        expect(atKill.inD1).toBe(50);
        expect(atKill.objects.pending).toBe(1);
      }

      await pipe.worker.stop(); // the kill: workerd goes, the persisted D1 and R2 stay
      await pipe.worker.start();

      const redo = await archive({ now: later() });
      expect(redo.status).toBe(200);
      const report = (await redo.json()) as { redone: number; manifests: number };
      if (point === 'after-commit') expect(report.manifests).toBeGreaterThanOrEqual(1);
      else expect(report.redone).toBe(1);
      const settled = d1State(ids);
      expect(settled.inD1).toBe(0);
      expect(settled.objects.pending ?? 0).toBe(0);
      const after = await feed('Container');
      expect(after).toEqual(before); // each change once, in seq order, same seqs
      expect(new Set(after.map((c) => c.id)).size).toBe(after.length);
    });
  }

  it('a socket resuming from a seq only the archive holds gets every later change in order, once, then live', async () => {
    const run = `arc-ws-${Date.now().toString(36)}`;
    const ids = Array.from({ length: 40 }, (_, k) => `${run}-${String(k).padStart(3, '0')}`);
    await ingest('Ship', ids, 5000);
    const all = await feed('Ship');
    const from = all.find((c) => c.id === ids[9])!.seq;
    expect((await archive({ now: later() })).status).toBe(200);
    expect(d1State(ids).inD1).toBe(0);
    await pipe.worker.stop(); // and a restart: the room's memory is gone, only the archive has them
    await pipe.worker.start();

    const socket = await pipe.socket('Ship', { query: `after=${from}` });
    const expected = all.filter((c) => c.seq > from && c.id.startsWith(run));
    await socket.waitForIds(expected.map((c) => c.id));
    const live = `${run}-live`;
    expect((await postEvents(pipe.worker, eventOf('Ship', live))).status).toBe(201);
    await socket.waitForIds([live]);
    expect(expectSeenOnceInOrder(socket, run)).toEqual([...expected.map((c) => c.id), live]);
  });
});
