/**
 * The path every event takes into Quaycast, whether from Kafka (via the bridge) or the API:
 * normalise, group by category, and hand each group to its room in one RPC.
 */
import type { Category } from '../protocol/enums.ts';
import { describeIssues, normalizeEvent, type IngestContext, type NewEvent } from '../protocol/event.ts';
import type { IngestRecord, IngestResult } from '../protocol/ingest.ts';
import { roomStub, type CommitOptions, type CommitResult } from './room.ts';

/** Hands events to their rooms (one call per room, in parallel) and returns results in input order. */
export async function commitEvents(env: Env, events: NewEvent[], options: CommitOptions = {}): Promise<CommitResult[]> {
  const byRoom = new Map<Category, number[]>();
  events.forEach((e, i) => {
    const list = byRoom.get(e.category);
    if (list) list.push(i);
    else byRoom.set(e.category, [i]);
  });
  const results: CommitResult[] = new Array(events.length);
  await Promise.all(
    [...byRoom].map(async ([category, indexes]) => {
      const answers = await roomStub(env, category).commit(category, indexes.map((i) => events[i]!), options);
      answers.forEach((answer, j) => {
        results[indexes[j]!] = answer;
      });
    }),
  );
  return results;
}

/** Parses and validates Kafka records; never throws for bad input (that is a `rejected` result). */
export function normalizeRecords(records: IngestRecord[], receivedAt: number): ({ ok: true; event: NewEvent } | { ok: false; reason: string })[] {
  return records.map((record) => {
    let raw: unknown;
    try {
      raw = JSON.parse(record.value);
    } catch (err) {
      return { ok: false, reason: `value is not JSON: ${(err as Error).message}` };
    }
    const ctx: IngestContext = { kind: 'kafka', topic: record.topic, partition: record.partition, offset: record.offset, receivedAt, key: record.key, headers: record.headers, timestamp: record.timestamp };
    const result = normalizeEvent(raw, ctx);
    return result.ok ? result : { ok: false, reason: describeIssues(result.issues) };
  });
}

/** The whole Kafka ingest: one result per record, in order. */
export async function ingestRecords(env: Env, records: IngestRecord[]): Promise<IngestResult[]> {
  const normalized = normalizeRecords(records, Date.now());
  const valid: NewEvent[] = [];
  for (const n of normalized) if (n.ok) valid.push(n.event);
  const committed = await commitEvents(env, valid);
  let at = 0;
  return normalized.map((n): IngestResult => {
    if (!n.ok) return { status: 'rejected', reason: n.reason };
    const event = valid[at]!;
    const c = committed[at++]!;
    return c.status === 'stored'
      ? { status: 'stored', id: c.id, seq: c.seq, category: event.category }
      : { status: 'duplicate', id: c.id, category: event.category };
  });
}
