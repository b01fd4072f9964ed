/**
 * Dead letters the bridge reported (migrations/0011_dead_letters.sql) and the admins' replay
 * requests. A report is idempotent by (dlq topic, partition, offset). A replay request is claimed
 * by one bridge at a time (a lease of CLAIM_LEASE_MS; an expired claim is claimed again, with the
 * first claim's `scan_from` kept so the bridge can look for a copy it produced before a crash),
 * and settled once: only a claimed request can be settled, so a late second settle changes nothing.
 * Multi-row writes pass their rows as one JSON parameter (json_each): D1 binds at most 100 parameters.
 */
import type { ClaimedReplay, DeadLetterReport, Encoding } from '../../protocol/dead-letters.ts';
import type { Db } from './client.ts';

/** How long a claim holds before another bridge (or the same, restarted) may claim it again. */
export const CLAIM_LEASE_MS = 30_000;

export const LETTER_STATUSES = ['new', 'replaying', 'replayed', 'failed', 'discarded'] as const;
export type LetterStatus = (typeof LETTER_STATUSES)[number];
export const REPLAY_STATUSES = ['pending', 'claimed', 'produced', 'failed'] as const;
export type ReplayStatus = (typeof REPLAY_STATUSES)[number];
/** One dead letter as the bridge reports it (the contract: protocol/dead-letters.ts). */
export type ReportedLetter = DeadLetterReport;

export type DeadLetter = Omit<ReportedLetter, 'deadAt'> & {
  id: number;
  deadAt: number;
  reportedAt: number;
  status: LetterStatus;
};

export type Replay = {
  id: string;
  letterId: number;
  edited: boolean;
  status: ReplayStatus;
  requestedBy: string;
  requestedAt: number;
  attempts: number;
  producedPartition: number | null;
  producedOffset: string | null;
  error: string | null;
  settledAt: number | null;
};

type RawLetter = {
  id: number;
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  key_encoding: string;
  reason: string;
  dead_at: number;
  reported_at: number;
  value: string | null;
  value_encoding: string;
  value_bytes: number;
  value_truncated: number;
  headers: string;
  status: string;
};

const LETTER_COLUMNS =
  'id, dlq_topic, dlq_partition, dlq_offset, topic, partition, "offset", key, key_encoding, reason, dead_at, reported_at, value, value_encoding, value_bytes, value_truncated, headers, status';

function letterOf(r: RawLetter): DeadLetter {
  return {
    id: r.id,
    dlqTopic: r.dlq_topic,
    dlqPartition: r.dlq_partition,
    dlqOffset: r.dlq_offset,
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    keyEncoding: r.key_encoding as Encoding,
    reason: r.reason,
    deadAt: r.dead_at,
    reportedAt: r.reported_at,
    value: r.value,
    valueEncoding: r.value_encoding as Encoding,
    valueBytes: r.value_bytes,
    valueTruncated: r.value_truncated === 1,
    headers: JSON.parse(r.headers) as Record<string, string>,
    status: r.status as LetterStatus,
  };
}

/** Stores reported letters; one already known (same DLQ coordinates) is left as it is. Returns how many were new. */
export async function reportDeadLetters(db: Db, letters: readonly ReportedLetter[], now: number): Promise<number> {
  const rows = letters.map((l) => ({
    ...l,
    valueTruncated: l.valueTruncated ? 1 : 0,
    headers: JSON.stringify(l.headers),
  }));
  const result = await db.$client
    .prepare(
      `INSERT INTO dead_letters (dlq_topic, dlq_partition, dlq_offset, topic, partition, "offset", key, key_encoding, reason, dead_at, reported_at, value, value_encoding, value_bytes, value_truncated, headers)
       SELECT j.value ->> 'dlqTopic', j.value ->> 'dlqPartition', j.value ->> 'dlqOffset', j.value ->> 'topic', j.value ->> 'partition', j.value ->> 'offset',
              j.value ->> 'key', j.value ->> 'keyEncoding', j.value ->> 'reason', j.value ->> 'deadAt', ?2, j.value ->> 'value', j.value ->> 'valueEncoding',
              j.value ->> 'valueBytes', j.value ->> 'valueTruncated', j.value ->> 'headers'
       FROM json_each(?1) AS j WHERE true
       ON CONFLICT (dlq_topic, dlq_partition, dlq_offset) DO NOTHING`,
    )
    .bind(JSON.stringify(rows), now)
    .run();
  return result.meta.changes ?? 0;
}

export type LetterFilter = {
  topic?: string;
  reason?: string;
  from?: number;
  to?: number;
  status?: LetterStatus;
  /** Letters with a smaller id than this (the next page). */
  before?: number;
  limit: number;
};

/** Letters newest first (by id, the order they were reported), filtered. */
export async function listDeadLetters(db: Db, f: LetterFilter): Promise<DeadLetter[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `?${args.length}`;
  };
  if (f.topic !== undefined) where.push(`topic = ${arg(f.topic)}`);
  if (f.reason !== undefined) where.push(`instr(lower(reason), lower(${arg(f.reason)})) > 0`);
  if (f.from !== undefined) where.push(`dead_at >= ${arg(f.from)}`);
  if (f.to !== undefined) where.push(`dead_at < ${arg(f.to)}`);
  if (f.status !== undefined) where.push(`status = ${arg(f.status)}`);
  if (f.before !== undefined) where.push(`id < ${arg(f.before)}`);
  const sql = `SELECT ${LETTER_COLUMNS} FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${arg(f.limit)}`;
  const { results } = await db.$client
    .prepare(sql)
    .bind(...args)
    .all<RawLetter>();
  return results.map(letterOf);
}

type RawReplay = {
  id: string;
  letter_id: number;
  edited: number;
  status: string;
  requested_by: string;
  requested_at: number;
  attempts: number;
  produced_partition: number | null;
  produced_offset: string | null;
  error: string | null;
  settled_at: number | null;
};

const replayOf = (r: RawReplay): Replay => ({
  id: r.id,
  letterId: r.letter_id,
  edited: r.edited === 1,
  status: r.status as ReplayStatus,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  attempts: r.attempts,
  producedPartition: r.produced_partition,
  producedOffset: r.produced_offset,
  error: r.error,
  settledAt: r.settled_at,
});

/** One letter and its replays (oldest first), or undefined. */
export async function findDeadLetter(db: Db, id: number): Promise<(DeadLetter & { replays: Replay[] }) | undefined> {
  const row = await db.$client
    .prepare(`SELECT ${LETTER_COLUMNS} FROM dead_letters WHERE id = ?1`)
    .bind(id)
    .first<RawLetter>();
  if (!row) return undefined;
  const { results } = await db.$client
    .prepare(
      `SELECT id, letter_id, value IS NOT NULL AS edited, status, requested_by, requested_at, attempts, produced_partition, produced_offset, error, settled_at
       FROM dead_letter_replays WHERE letter_id = ?1 ORDER BY requested_at, id`,
    )
    .bind(id)
    .all<RawReplay>();
  return { ...letterOf(row), replays: results.map(replayOf) };
}

/** Which of `ids` a replay or discard may act on (status new or failed), and which not (unknown, or busy/terminal). */
async function actionable(
  db: Db,
  ids: readonly number[],
): Promise<{ ok: number[]; refused: { id: number; status: string | null }[] }> {
  const { results } = await db.$client
    .prepare('SELECT id, status FROM dead_letters WHERE id IN (SELECT value FROM json_each(?1))')
    .bind(JSON.stringify(ids))
    .all<{ id: number; status: string }>();
  const status = new Map(results.map((r) => [r.id, r.status]));
  const ok: number[] = [];
  const refused: { id: number; status: string | null }[] = [];
  for (const id of new Set(ids)) {
    const s = status.get(id);
    if (s === 'new' || s === 'failed') ok.push(id);
    else refused.push({ id, status: s ?? null });
  }
  return { ok, refused };
}

/**
 * A replay request (pending) for each letter of `ids` that is new or failed; `value` (one letter
 * only, checked by the route) replaces the dead letter's value. The letter becomes 'replaying'
 * in the same batch, and only if it still was new or failed (a concurrent request loses).
 */
export async function requestReplays(
  db: Db,
  ids: readonly number[],
  value: string | undefined,
  actor: string,
  now: number,
): Promise<{ replays: { id: string; letterId: number }[]; refused: { id: number; status: string | null }[] }> {
  const { ok, refused } = await actionable(db, ids);
  const replays = ok.map((letterId) => ({ id: crypto.randomUUID(), letterId }));
  if (replays.length === 0) return { replays, refused };
  const statements = replays.flatMap((r) => [
    db.$client
      .prepare(
        `INSERT INTO dead_letter_replays (id, letter_id, value, status, requested_by, requested_at)
         SELECT ?1, ?2, ?3, 'pending', ?4, ?5 WHERE EXISTS (SELECT 1 FROM dead_letters WHERE id = ?2 AND status IN ('new', 'failed'))`,
      )
      .bind(r.id, r.letterId, value ?? null, actor, now),
    db.$client
      .prepare(`UPDATE dead_letters SET status = 'replaying' WHERE id = ?1 AND status IN ('new', 'failed')`)
      .bind(r.letterId),
  ]);
  const results = await db.$client.batch(statements);
  const made = replays.filter((_, i) => (results[i * 2]!.meta.changes ?? 0) > 0);
  return {
    replays: made,
    refused: [
      ...refused,
      ...replays.filter((r) => !made.includes(r)).map((r) => ({ id: r.letterId, status: 'replaying' })),
    ],
  };
}

/** Marks new or failed letters discarded (the DLQ record stays; the page stops offering it). */
export async function discardDeadLetters(
  db: Db,
  ids: readonly number[],
): Promise<{ discarded: number[]; refused: { id: number; status: string | null }[] }> {
  const { ok, refused } = await actionable(db, ids);
  if (ok.length > 0)
    await db.$client
      .prepare(
        `UPDATE dead_letters SET status = 'discarded' WHERE status IN ('new', 'failed') AND id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(JSON.stringify(ok))
      .run();
  return { discarded: ok, refused };
}

/** How many replay requests a bridge could claim now (pending, or claimed with the lease run out). */
export async function claimableReplays(db: Db, now: number): Promise<number> {
  const row = await db.$client
    .prepare(
      `SELECT COUNT(*) AS n FROM dead_letter_replays WHERE status = 'pending' OR (status = 'claimed' AND claimed_at <= ?1)`,
    )
    .bind(now - CLAIM_LEASE_MS)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * Claims up to `limit` due requests for `bridgeId`: pending ones, and claimed ones whose lease ran
 * out (a bridge that crashed). `watermarks` ('topic/partition' → high watermark read before this
 * claim) set `scan_from` on a request's first claim only.
 */
export async function claimReplays(
  db: Db,
  bridgeId: string,
  watermarks: ReadonlyMap<string, string>,
  limit: number,
  now: number,
): Promise<ClaimedReplay[]> {
  const { results } = await db.$client
    .prepare(
      `UPDATE dead_letter_replays SET status = 'claimed', claimed_by = ?1, claimed_at = ?2, attempts = attempts + 1,
         scan_from = coalesce(scan_from, (SELECT value FROM json_each(?5) WHERE key = (SELECT d.topic || '/' || d.partition FROM dead_letters d WHERE d.id = letter_id)))
       WHERE id IN (SELECT id FROM dead_letter_replays WHERE status = 'pending' OR (status = 'claimed' AND claimed_at <= ?3) ORDER BY requested_at, id LIMIT ?4)
       RETURNING id`,
    )
    .bind(bridgeId, now, now - CLAIM_LEASE_MS, limit, JSON.stringify(Object.fromEntries(watermarks)))
    .all<{ id: string }>();
  if (results.length === 0) return [];
  const rows = await db.$client
    .prepare(
      `SELECT r.id AS id, r.letter_id AS letterId, r.attempts AS attempt, r.value AS edited, r.scan_from AS scanFrom,
              d.dlq_topic AS dlqTopic, d.dlq_partition AS dlqPartition, d.dlq_offset AS dlqOffset, d.topic AS topic, d.partition AS partition,
              d.key AS key, d.key_encoding AS keyEncoding, d.value AS value, d.value_encoding AS valueEncoding, d.value_truncated AS truncated, d.headers AS headers
       FROM dead_letter_replays r JOIN dead_letters d ON d.id = r.letter_id
       WHERE r.id IN (SELECT value FROM json_each(?1)) ORDER BY r.requested_at, r.id`,
    )
    .bind(JSON.stringify(results.map((r) => r.id)))
    .all<{
      id: string;
      letterId: number;
      attempt: number;
      edited: string | null;
      scanFrom: string | null;
      dlqTopic: string;
      dlqPartition: number;
      dlqOffset: string;
      topic: string;
      partition: number;
      key: string | null;
      keyEncoding: string;
      value: string | null;
      valueEncoding: string;
      truncated: number;
      headers: string;
    }>();
  return rows.results.map((r) => {
    const edited = r.edited !== null;
    const fromDlq = !edited && r.truncated === 1;
    return {
      id: r.id,
      letterId: r.letterId,
      attempt: r.attempt,
      dlqTopic: r.dlqTopic,
      dlqPartition: r.dlqPartition,
      dlqOffset: r.dlqOffset,
      topic: r.topic,
      partition: r.partition,
      key: r.key,
      keyEncoding: r.keyEncoding as Encoding,
      value: edited ? r.edited : fromDlq ? null : r.value,
      valueEncoding: edited ? 'utf8' : (r.valueEncoding as Encoding),
      fromDlq,
      tombstone: !edited && r.value === null,
      headers: JSON.parse(r.headers) as Record<string, string>,
      scanFrom: r.scanFrom,
    };
  });
}

export type Settlement =
  | { id: string; outcome: 'produced'; partition: number; offset: string }
  | { id: string; outcome: 'failed'; reason: string };

/**
 * Settles claimed requests (a request not claimed — never, or settled already — is left as it
 * is, so a settle sent twice changes nothing) and moves their letters to replayed or failed.
 * Returns the ids settled now.
 */
export async function settleReplays(db: Db, settlements: readonly Settlement[], now: number): Promise<string[]> {
  if (settlements.length === 0) return [];
  const statements = settlements.flatMap((s) => {
    const replayed = s.outcome === 'produced';
    return [
      db.$client
        .prepare(
          `UPDATE dead_letter_replays SET status = ?2, produced_partition = ?3, produced_offset = ?4, error = ?5, settled_at = ?6
           WHERE id = ?1 AND status = 'claimed'`,
        )
        .bind(
          s.id,
          s.outcome,
          replayed ? s.partition : null,
          replayed ? s.offset : null,
          replayed ? null : s.reason,
          now,
        ),
      db.$client
        .prepare(
          `UPDATE dead_letters SET status = ?2 WHERE status = 'replaying' AND id = (SELECT letter_id FROM dead_letter_replays WHERE id = ?1 AND settled_at = ?3)`,
        )
        .bind(s.id, replayed ? 'replayed' : 'failed', now),
    ];
  });
  const results = await db.$client.batch(statements);
  return settlements.filter((_, i) => (results[i * 2]!.meta.changes ?? 0) > 0).map((s) => s.id);
}
