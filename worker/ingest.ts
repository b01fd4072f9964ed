/**
 * The path every event takes into Quaycast, whether from Kafka (via the bridge) or the API:
 * normalise each record alone, group by category, and hand each group to its room in one RPC.
 */
import type { Category } from '../protocol/enums.ts';
import type { NewEvent } from '../protocol/event.ts';
import { describeIssues, oneLine } from '../protocol/reason.ts';
import { normalizeEvent, producerIdOf, type IngestContext } from '../protocol/schemas/normalize.ts';
import type { IngestRecord, IngestResult } from '../protocol/ingest.ts';
import { createDb } from './db/client.ts';
import { categoriesOf } from './db/events.ts';
import { errorFields, log } from './log.ts';
import { roomFailure } from './room/failure.ts';
import type { CommitOptions, CommitResult } from './room/rpc.ts';
import { roomStub } from './room/stubs.ts';

/**
 * Hands events to their rooms (one call per room, in parallel) and returns results in input order.
 * The rooms are called independently: when one fails, the others still store and push theirs,
 * and this throws a RoomUnavailableError naming the failed rooms (room-failure.ts) once all have
 * answered, so a retry of the whole request finds the stored ones `duplicate`.
 */
export async function commitEvents(env: Env, events: NewEvent[], options: CommitOptions = {}): Promise<CommitResult[]> {
  const byRoom = new Map<Category, number[]>();
  events.forEach((e, i) => {
    const list = byRoom.get(e.category);
    if (list) list.push(i);
    else byRoom.set(e.category, [i]);
  });
  const results: CommitResult[] = new Array(events.length);
  const rooms = [...byRoom];
  const settled = await Promise.allSettled(
    rooms.map(async ([category, indexes]) => {
      const answers = await roomStub(env, category).commit(
        category,
        indexes.map((i) => events[i]!),
        options,
      );
      answers.forEach((answer, j) => {
        results[indexes[j]!] = answer;
      });
    }),
  );
  const failures: [Category, unknown][] = [];
  settled.forEach((s, i) => {
    if (s.status === 'rejected') failures.push([rooms[i]![0], s.reason]);
  });
  if (failures.length > 0) throw roomFailure(failures);
  return results;
}

/** A record's verdict; a rejected one keeps the id it names (if any), to be found a duplicate. */
export type JudgedRecord = { ok: true; event: NewEvent } | { ok: false; reason: string; id?: string };

/**
 * Parses and validates Kafka records, each alone: whatever one holds, and even if judging it
 * throws (a bug of ours), it becomes that record's `rejected` result, never the batch's error.
 */
export function normalizeRecords(records: IngestRecord[], receivedAt: number): JudgedRecord[] {
  return records.map((record) => {
    try {
      return judgeRecord(record, receivedAt);
    } catch (err) {
      log('error', 'ingest record could not be judged', {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        ...errorFields(err),
      });
      return {
        ok: false,
        reason: oneLine(`could not be validated: ${err instanceof Error ? err.message : String(err)}`),
      };
    }
  });
}

function judgeRecord(record: IngestRecord, receivedAt: number): JudgedRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(record.value);
  } catch (err) {
    // V8's message quotes the start of the value: oneLine keeps it printable and short.
    return { ok: false, reason: oneLine(`value is not JSON: ${(err as Error).message}`) };
  }
  const ctx: IngestContext = {
    kind: 'kafka',
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    receivedAt,
    key: record.key,
    headers: record.headers,
    timestamp: record.timestamp,
  };
  const result = normalizeEvent(raw, ctx);
  if (result.ok) return result;
  const id = producerIdOf(raw);
  return { ok: false, reason: describeIssues(result.issues), ...(id === undefined ? {} : { id }) };
}

/**
 * Stored ids among `ids`, with their category (a tombstone counts: the id was used). A failed
 * read answers none: the records stay rejected, which costs a dead letter, not a loss.
 */
async function storedCategories(env: Env, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  try {
    for (const r of await categoriesOf(createDb(env.DB), ids)) out.set(r.id, r.category);
  } catch (err) {
    log('warn', 'ingest could not look up the ids of rejected records', { ids: ids.length, ...errorFields(err) });
  }
  return out;
}

/** The whole Kafka ingest: one result per record, in order. Throws RoomUnavailableError when a room fails. */
export async function ingestRecords(env: Env, records: IngestRecord[]): Promise<IngestResult[]> {
  const normalized = normalizeRecords(records, Date.now());
  const valid: NewEvent[] = [];
  for (const n of normalized) if (n.ok) valid.push(n.event);
  // An id already stored is a duplicate whatever the record holds now (the id is the idempotency
  // key): the outbox republishes stored events, and bounds may have tightened since they were stored.
  const [committed, known] = await Promise.all([
    commitEvents(env, valid),
    storedCategories(
      env,
      normalized.flatMap((n) => (!n.ok && n.id !== undefined ? [n.id] : [])),
    ),
  ]);
  let at = 0;
  return normalized.map((n): IngestResult => {
    if (!n.ok) {
      const category = n.id === undefined ? undefined : known.get(n.id);
      return category === undefined
        ? { status: 'rejected', reason: n.reason }
        : { status: 'duplicate', id: n.id!, category };
    }
    const event = valid[at]!;
    const c = committed[at++]!;
    return c.status === 'stored'
      ? { status: 'stored', id: c.id, seq: c.seq, category: event.category }
      : { status: 'duplicate', id: c.id, category: event.category };
  });
}
