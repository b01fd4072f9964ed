/**
 * The list and the CSV export over both tiers (docs/archive.md, "One history"): a D1 page merged
 * with the archived events that sort into it, under the same filters, in the same order, with the
 * same keyset cursor. Text search (`q`) and `unread` read the hot window only: the archive has no
 * full-text index, and read marks stay in D1 (an archived event counts as read).
 *
 * Newest-first lists read the manifest rows whose received range meets the page (at most
 * PAGE_MAX_OBJECTS objects); when more objects remain, the page stops at the newest event an
 * unread object may hold (`boundary`), so nothing is skipped, and the cursor goes on from there.
 */
import type { Change, QuaycastEvent } from '../../protocol/event.ts';
import { isTombstone } from '../../protocol/event.ts';
import { archiveState, objectsForReceived, objectsForSeqs } from '../db/archive.ts';
import type { Db } from '../db/client.ts';
import {
  exportCells,
  exportKeyed,
  listKeyed,
  type EventFilter,
  type Keyed,
  type ListedEvent,
  type ListPage,
  type ListQuery,
  type Position,
} from '../db/list.ts';
import { PAGE_MAX_OBJECTS, objectLines } from './reader.ts';

/** SQLite's order of TEXT (memcmp of UTF-8) is code point order; JS's `<` is UTF-16 unit order. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Does an archived event pass the filter (everything but `q` and `unread`, which the caller handles)? */
export function passes(e: QuaycastEvent, f: EventFilter, changefeed: boolean): boolean {
  if (!changefeed && f.category && e.category !== f.category) return false;
  if (f.scope && !f.scope.includes(e.category)) return false;
  if (f.severities?.length && !f.severities.includes(e.severity)) return false;
  if (f.statuses?.length && !f.statuses.includes(e.status)) return false;
  const received = Date.parse(e.receivedAt);
  if (f.from !== undefined && received < f.from) return false;
  if (f.to !== undefined && received >= f.to) return false;
  return true;
}

/** Newest first: (receivedAt, id) descending. */
const newestFirst = <T>(a: Keyed<T>, b: Keyed<T>) => b.receivedAt - a.receivedAt || compareIds(b.id, a.id);
const below = (r: { receivedAt: number; id: string }, p: Position & { kind: 'received' }) =>
  r.receivedAt < p.receivedAt || (r.receivedAt === p.receivedAt && compareIds(r.id, p.id) < 0);

type FromChange<T> = (change: Change) => T | undefined;

async function mergedPage<T>(
  db: Db,
  bucket: R2Bucket | undefined,
  query: ListQuery,
  d1: ListPage<Keyed<T>>,
  fromChange: FromChange<T>,
): Promise<ListPage<T>> {
  const plain = (page: ListPage<Keyed<T>>): ListPage<T> => ({ next: page.next, rows: page.rows.map((r) => r.value) });
  if (!bucket || query.q !== undefined || query.unread) return plain(d1);
  return query.after !== undefined
    ? seqMerge(db, bucket, query, d1, fromChange, plain)
    : receivedMerge(db, bucket, query, d1, fromChange, plain);
}

async function receivedMerge<T>(
  db: Db,
  bucket: R2Bucket,
  query: ListQuery,
  d1: ListPage<Keyed<T>>,
  fromChange: FromChange<T>,
  plain: (page: ListPage<Keyed<T>>) => ListPage<T>,
): Promise<ListPage<T>> {
  const position = query.position?.kind === 'received' ? query.position : undefined;
  const lastD1 = d1.rows[d1.rows.length - 1];
  // A full D1 page ends at its last row: only objects holding events at least that new can sort into it.
  const from = d1.next && lastD1 ? Math.max(query.from ?? 0, lastD1.receivedAt) : query.from;
  const upper = Math.min(
    query.to ?? Number.MAX_SAFE_INTEGER,
    position ? position.receivedAt + 1 : Number.MAX_SAFE_INTEGER,
  );
  const objects = await objectsForReceived(db, {
    categories: query.category ? [query.category] : query.scope,
    from,
    below: upper === Number.MAX_SAFE_INTEGER ? undefined : upper,
    limit: PAGE_MAX_OBJECTS + 1,
  });
  if (objects.length === 0) return plain(d1);
  const boundary = objects.length > PAGE_MAX_OBJECTS ? objects[PAGE_MAX_OBJECTS]!.max_received! : undefined;
  const rows: Keyed<T>[] = [...d1.rows];
  for (const o of objects.slice(0, PAGE_MAX_OBJECTS)) {
    for (const line of await objectLines(bucket, o)) {
      if (isTombstone(line) || !passes(line, query, false)) continue;
      const key = { id: line.id, seq: line.seq, receivedAt: Date.parse(line.receivedAt) };
      if (position && !below(key, position)) continue;
      const value = fromChange(line);
      if (value !== undefined) rows.push({ ...key, value });
    }
  }
  rows.sort(newestFirst);
  const kept = boundary === undefined ? rows : rows.filter((r) => r.receivedAt > boundary);
  const at = (r: Keyed<T>): Position => ({ kind: 'received', receivedAt: r.receivedAt, id: r.id });
  if (kept.length > query.limit) {
    const page = kept.slice(0, query.limit);
    return { rows: page.map((r) => r.value), next: at(page[page.length - 1]!) };
  }
  const last = kept[kept.length - 1];
  if (boundary !== undefined)
    return {
      rows: kept.map((r) => r.value),
      next: last ? at(last) : { kind: 'received', receivedAt: boundary + 1, id: '' },
    };
  return { rows: kept.map((r) => r.value), next: d1.next && last ? at(last) : null };
}

async function seqMerge<T>(
  db: Db,
  bucket: R2Bucket,
  query: ListQuery,
  d1: ListPage<Keyed<T>>,
  fromChange: FromChange<T>,
  plain: (page: ListPage<Keyed<T>>) => ListPage<T>,
): Promise<ListPage<T>> {
  const category = query.category!;
  const after = query.position?.kind === 'seq' ? query.position.seq : query.after!;
  if (after >= (await archiveState(db, category)).through_seq) return plain(d1);
  const objects = await objectsForSeqs(db, category, after, Number.MAX_SAFE_INTEGER, PAGE_MAX_OBJECTS + 1);
  const rows: Keyed<T>[] = [...d1.rows];
  let complete = d1.next && d1.rows.length > 0 ? d1.rows[d1.rows.length - 1]!.seq : Number.MAX_SAFE_INTEGER;
  let found = 0;
  for (const [i, o] of objects.entries()) {
    if (i === PAGE_MAX_OBJECTS || found > query.limit) {
      complete = Math.min(complete, o.from_seq);
      break;
    }
    for (const line of await objectLines(bucket, o)) {
      if (line.seq <= after || (!isTombstone(line) && !passes(line, query, true))) continue;
      const value = fromChange(line);
      if (value === undefined) continue;
      rows.push({ id: line.id, seq: line.seq, receivedAt: 0, value });
      found++;
    }
  }
  const kept = rows.filter((r) => r.seq <= complete).sort((a, b) => a.seq - b.seq);
  if (kept.length > query.limit) {
    const page = kept.slice(0, query.limit);
    return { rows: page.map((r) => r.value), next: { kind: 'seq', seq: page[page.length - 1]!.seq } };
  }
  const more = complete !== Number.MAX_SAFE_INTEGER;
  return { rows: kept.map((r) => r.value), next: more ? { kind: 'seq', seq: complete } : null };
}

/** A page of GET /api/events from both tiers (an archived event counts as read). */
export async function listAllTiers(
  db: Db,
  bucket: R2Bucket | undefined,
  query: ListQuery,
): Promise<ListPage<ListedEvent>> {
  const d1 = await listKeyed(db, query);
  return mergedPage(db, bucket, query, d1, (c): ListedEvent => (isTombstone(c) ? c : { ...c, read: true }));
}

/** A page of the CSV export from both tiers (tombstones are not exported). */
export async function exportAllTiers(
  db: Db,
  bucket: R2Bucket | undefined,
  query: ListQuery,
): Promise<ListPage<unknown[]>> {
  const d1 = await exportKeyed(db, query);
  return mergedPage(db, bucket, query, d1, (c) => (isTombstone(c) ? undefined : exportCells(c, true)));
}
