/**
 * /api/dead-letters and /internal/dead-letters in workerd: admins only, idempotent reports,
 * filters, the replay state machine (pending → claimed → produced | failed; a lease that runs
 * out is claimed again with the first claim's scanFrom; a settle sent twice changes nothing),
 * discard, and the outbox read's `replays` count that wakes the bridge.
 */
import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BASE, api, uid } from './helpers.ts';

const service = (path: string, body?: unknown) =>
  SELF.fetch(`${BASE}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${env.INGEST_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

type Letter = {
  id: number;
  status: string;
  dlqOffset: string;
  reason: string;
  value: string | null;
  replays?: Replay[];
};
type Replay = {
  id: string;
  status: string;
  attempts: number;
  producedOffset: string | null;
  error: string | null;
  edited: boolean;
};
type Claimed = {
  id: string;
  letterId: number;
  attempt: number;
  value: string | null;
  fromDlq: boolean;
  scanFrom: string | null;
  topic: string;
  partition: number;
  headers: Record<string, string>;
};

function letter(topic: string, offset: number, extra: Record<string, unknown> = {}) {
  return {
    dlqTopic: `${topic}.dlq`,
    dlqPartition: 0,
    dlqOffset: String(offset),
    topic,
    partition: 0,
    offset: String(offset + 10),
    key: `k-${offset}`,
    keyEncoding: 'utf8',
    reason: `not JSON (${offset})`,
    deadAt: Date.parse('2026-11-01T10:00:00Z') + offset * 60_000,
    value: `{"broken": ${offset}`,
    valueEncoding: 'utf8',
    valueBytes: 12,
    valueTruncated: false,
    headers: { trace: `t-${offset}` },
    ...extra,
  };
}

async function report(letters: unknown[]): Promise<{ stored: number; duplicate: number }> {
  const res = await service('/internal/dead-letters', { letters });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { stored: number; duplicate: number };
}

async function list(query: string): Promise<Letter[]> {
  const res = await api(`/api/dead-letters?${query}`, { role: 'admin' });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: Letter[] }).data;
}

const one = async (id: number) => (await (await api(`/api/dead-letters/${id}`, { role: 'admin' })).json()) as Letter;

const claim = async (bridgeId = 'b1', watermarks: unknown[] = []) => {
  const res = await service('/internal/dead-letters/replays/claim', { bridgeId, watermarks });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { replays: Claimed[] }).replays;
};

/** Settles every replay claimable now (other tests' too), so each test starts with none due. */
async function drain(): Promise<void> {
  for (;;) {
    const claimed = await claim('drain');
    if (claimed.length === 0) return;
    await service('/internal/dead-letters/replays/settle', {
      results: claimed.map((c) => ({ id: c.id, outcome: 'failed', reason: 'drained' })),
    });
  }
}

describe('api > /api/dead-letters', () => {
  it('is for admins only; the report route takes the service token only', async () => {
    for (const role of ['viewer', 'producer', 'operator'] as const) {
      expect((await api('/api/dead-letters', { role })).status).toBe(403);
      expect((await api('/api/dead-letters/replay', { role, method: 'POST', body: '{"ids":[1]}' })).status).toBe(403);
    }
    expect((await api('/api/dead-letters')).status).toBe(401);
    expect((await api('/api/dead-letters', { role: 'admin' })).status).toBe(200);
    const withJwt = await api('/internal/dead-letters', { role: 'admin', method: 'POST', body: '{"letters":[]}' });
    expect(withJwt.status).toBe(401);
  });

  it('stores a report once (idempotent by DLQ coordinates) and filters by topic, reason, time and status', async () => {
    const topic = uid('dl-topic');
    expect(await report([letter(topic, 1), letter(topic, 2, { reason: 'severity: Apocalyptic' })])).toEqual({
      stored: 2,
      duplicate: 0,
    });
    expect(await report([letter(topic, 1), letter(topic, 3)])).toEqual({ stored: 1, duplicate: 1 });
    const all = await list(`topic=${topic}`);
    expect(all.map((l) => l.dlqOffset)).toEqual(['3', '2', '1']);
    expect((await list(`topic=${topic}&reason=APOCALYPTIC`)).map((l) => l.dlqOffset)).toEqual(['2']);
    const from = new Date(Date.parse('2026-11-01T10:00:00Z') + 2 * 60_000).toISOString();
    const to = new Date(Date.parse('2026-11-01T10:00:00Z') + 3 * 60_000).toISOString();
    expect((await list(`topic=${topic}&from=${from}&to=${to}`)).map((l) => l.dlqOffset)).toEqual(['2']);
    expect((await list(`topic=${topic}&status=new`)).length).toBe(3);
    expect((await list(`topic=${topic}&status=replayed`)).length).toBe(0);
    const page = (await (await api(`/api/dead-letters?topic=${topic}&limit=2`, { role: 'admin' })).json()) as {
      data: Letter[];
      next: number;
    };
    expect(page.data).toHaveLength(2);
    expect((await list(`topic=${topic}&before=${page.next}`)).map((l) => l.dlqOffset)).toEqual(['1']);
    expect((await api('/api/dead-letters?from=yesterday', { role: 'admin' })).status).toBe(400);
    expect((await api('/api/dead-letters/999999999', { role: 'admin' })).status).toBe(404);
    expect(await one(all[0]!.id)).toMatchObject({ status: 'new', value: '{"broken": 3', replays: [] });
  });

  it('refuses a report of the wrong shape with 400', async () => {
    const topic = uid('dl-bad');
    for (const bad of [
      { letters: [] },
      { letters: [{ ...letter(topic, 1), dlqOffset: '-1' }] },
      { letters: [{ ...letter(topic, 1), value: 'x'.repeat(20_000) }] },
      { letters: [{ ...letter(topic, 1), extra: 1 }] },
    ]) {
      expect((await service('/internal/dead-letters', bad)).status).toBe(400);
    }
  });

  it('replays: pending → claimed (with scanFrom) → produced, once; the letter follows; a second replay or settle is refused or ignored', async () => {
    await drain();
    const topic = uid('dl-replay');
    await report([letter(topic, 1), letter(topic, 2)]);
    const [l2, l1] = await list(`topic=${topic}`);
    const res = await api('/api/dead-letters/replay', {
      role: 'admin',
      method: 'POST',
      body: JSON.stringify({ ids: [l1!.id] }),
    });
    expect(res.status).toBe(202);
    const made = (await res.json()) as { replays: { id: string; letterId: number }[]; refused: unknown[] };
    expect(made.replays).toHaveLength(1);
    expect((await one(l1!.id)).status).toBe('replaying');
    // A second request while one is pending is refused.
    const again = (await (
      await api('/api/dead-letters/replay', {
        role: 'admin',
        method: 'POST',
        body: JSON.stringify({ ids: [l1!.id, l2!.id] }),
      })
    ).json()) as { replays: unknown[]; refused: { id: number; status: string }[] };
    expect(again.refused).toEqual([{ id: l1!.id, status: 'replaying' }]);

    const outbox = (await (await service('/internal/outbox?limit=1')).json()) as { replays: number };
    expect(outbox.replays).toBe(2);

    const claimed = await claim('b1', [{ topic, partition: 0, high: '40' }]);
    const mine = claimed.find((c) => c.letterId === l1!.id)!;
    expect(mine).toMatchObject({
      attempt: 1,
      value: '{"broken": 1',
      fromDlq: false,
      scanFrom: '40',
      topic,
      partition: 0,
      headers: { trace: 't-1' },
    });
    expect(await claim('b2')).toEqual([]); // claimed: not due for another bridge
    const settle = (results: unknown[]) => service('/internal/dead-letters/replays/settle', { results });
    const first = (await (await settle([{ id: mine.id, outcome: 'produced', partition: 0, offset: '41' }])).json()) as {
      settled: string[];
    };
    expect(first.settled).toEqual([mine.id]);
    const second = (await (await settle([{ id: mine.id, outcome: 'failed', reason: 'late' }])).json()) as {
      settled: string[];
    };
    expect(second.settled).toEqual([]);
    const done = await one(l1!.id);
    expect(done.status).toBe('replayed');
    expect(done.replays).toMatchObject([
      { id: mine.id, status: 'produced', producedOffset: '41', attempts: 1, error: null },
    ]);
    // Replayed is final: neither replay nor discard.
    const refused = (await (
      await api('/api/dead-letters/discard', { role: 'admin', method: 'POST', body: JSON.stringify({ ids: [l1!.id] }) })
    ).json()) as { discarded: number[] };
    expect(refused.discarded).toEqual([]);
    // l2's replay fails; a failed letter may be replayed again, with an edited value.
    const l2replay = claimed.find((c) => c.letterId === l2!.id)!;
    await settle([{ id: l2replay.id, outcome: 'failed', reason: 'topic gone' }]);
    expect(await one(l2!.id)).toMatchObject({ status: 'failed', replays: [{ status: 'failed', error: 'topic gone' }] });
    const edited = await api('/api/dead-letters/replay', {
      role: 'admin',
      method: 'POST',
      body: JSON.stringify({ ids: [l2!.id], value: '{"fixed":true}' }),
    });
    expect(edited.status).toBe(202);
    const [retry] = await claim('b1', [{ topic, partition: 0, high: '50' }]);
    expect(retry).toMatchObject({ letterId: l2!.id, value: '{"fixed":true}', valueEncoding: 'utf8', scanFrom: '50' });
    await settle([{ id: retry!.id, outcome: 'produced', partition: 0, offset: '50' }]);
    expect((await one(l2!.id)).replays!.map((r) => [r.status, r.edited])).toEqual([
      ['failed', false],
      ['produced', true],
    ]);
  });

  it('an edited value needs exactly one id; a truncated value is read from the DLQ; discard', async () => {
    await drain();
    const topic = uid('dl-edit');
    await report([letter(topic, 1, { valueTruncated: true, valueBytes: 100_000 }), letter(topic, 2)]);
    const [l2, l1] = await list(`topic=${topic}`);
    const two = await api('/api/dead-letters/replay', {
      role: 'admin',
      method: 'POST',
      body: JSON.stringify({ ids: [l1!.id, l2!.id], value: 'x' }),
    });
    expect(two.status).toBe(400);
    await api('/api/dead-letters/replay', { role: 'admin', method: 'POST', body: JSON.stringify({ ids: [l1!.id] }) });
    const [c] = await claim();
    expect(c).toMatchObject({ letterId: l1!.id, fromDlq: true, value: null });
    const d = (await (
      await api('/api/dead-letters/discard', {
        role: 'admin',
        method: 'POST',
        body: JSON.stringify({ ids: [l2!.id, l1!.id, 987654321] }),
      })
    ).json()) as { discarded: number[]; refused: { id: number; status: string | null }[] };
    expect(d.discarded).toEqual([l2!.id]);
    expect(d.refused).toEqual([
      { id: l1!.id, status: 'replaying' },
      { id: 987654321, status: null },
    ]);
    expect((await one(l2!.id)).status).toBe('discarded');
  });

  it('a claim whose lease ran out is claimed again, keeping the first scanFrom', async () => {
    await drain();
    const topic = uid('dl-lease');
    await report([letter(topic, 1)]);
    const [l] = await list(`topic=${topic}`);
    await api('/api/dead-letters/replay', { role: 'admin', method: 'POST', body: JSON.stringify({ ids: [l!.id] }) });
    const [first] = await claim('crashing', [{ topic, partition: 0, high: '7' }]);
    expect(first!.scanFrom).toBe('7');
    // The bridge "crashed": age its claim past the lease.
    await env.DB.prepare('UPDATE dead_letter_replays SET claimed_at = claimed_at - 31000 WHERE id = ?1')
      .bind(first!.id)
      .run();
    expect(((await (await service('/internal/outbox?limit=1')).json()) as { replays: number }).replays).toBe(1);
    const [second] = await claim('restarted', [{ topic, partition: 0, high: '9' }]);
    expect(second).toMatchObject({ id: first!.id, attempt: 2, scanFrom: '7' });
  });
});

describe('internal > /internal/outbox with replays=1', () => {
  it('a long-poll answers at once while a replay is due, and only for a caller that asked', async () => {
    const topic = uid('dl-wake');
    await report([letter(topic, 1)]);
    const [l] = await list(`topic=${topic}`);
    await api('/api/dead-letters/replay', { role: 'admin', method: 'POST', body: JSON.stringify({ ids: [l!.id] }) });
    let started = Date.now();
    const woken = (await (await service('/internal/outbox?limit=1&wait=2&replays=1')).json()) as { replays: number };
    expect(woken.replays).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(1500);
    started = Date.now();
    await service('/internal/outbox?limit=1&wait=1'); // an older bridge: held for its wait
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await drain();
  });
});
