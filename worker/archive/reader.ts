/**
 * Reads of the archive (docs/archive.md, "One history"): the objects a query needs, found through
 * D1's manifest rows (never by listing the bucket), decoded and kept in a small per-isolate cache
 * (objects are immutable, so a cached one is never stale; an expired one is simply not asked for).
 */
import type { Category, Severity } from '../../protocol/enums.ts';
import { isTombstone, type Change, type QuaycastEvent } from '../../protocol/event.ts';
import type { HistoryEntry } from '../../protocol/history.ts';
import type { ArchiveObjectRow } from '../db/archive.ts';
import { objectsForIds, objectsForSeqs } from '../db/archive.ts';
import type { Db } from '../db/client.ts';
import { findEvent } from '../db/list.ts';
import { log } from '../log.ts';
import { decodeObjectSized, lineChange, type ArchivedLine } from './format.ts';

/**
 * Decoded objects kept per isolate, bounded by the JSON they came from: a Worker isolate has
 * 128 MB, and a decoded line takes a few times its JSON's size.
 */
const CACHE_MAX_BYTES = 16 * 1024 * 1024;
const cache = new Map<string, { lines: ArchivedLine[]; bytes: number }>();
let cachedBytes = 0;

/** An object's lines (from the cache or R2); none when the object is gone (expired meanwhile). */
export async function objectLines(bucket: R2Bucket, o: Pick<ArchiveObjectRow, 'object_key'>): Promise<ArchivedLine[]> {
  const hit = cache.get(o.object_key);
  if (hit) {
    cache.delete(o.object_key); // re-insert: most recently used last
    cache.set(o.object_key, hit);
    return hit.lines;
  }
  const object = await bucket.get(o.object_key);
  if (!object) {
    log('warn', 'archive object missing (expired meanwhile?)', { key: o.object_key });
    return [];
  }
  const { lines, bytes } = await decodeObjectSized(object.body);
  cache.set(o.object_key, { lines, bytes });
  cachedBytes += bytes;
  while (cachedBytes > CACHE_MAX_BYTES && cache.size > 1) {
    const [key, oldest] = cache.entries().next().value!;
    cache.delete(key);
    cachedBytes -= oldest.bytes;
  }
  return lines;
}

/** Objects one changefeed page reads at most (a filter that matches little stops the page early, with a cursor). */
export const PAGE_MAX_OBJECTS = 3;

/**
 * The archived part of a room's changefeed page: changes in `(after, upTo]` that match the
 * severities (tombstones always pass), in seq order, at most `limit`; and `complete`, the seq up
 * to which the archive has been read whole (the caller must not go past it in this page).
 */
export async function archivedChanges(
  db: Db,
  bucket: R2Bucket,
  opts: { category: Category; after: number; upTo: number; severities?: readonly Severity[]; limit: number },
): Promise<{ changes: Change[]; complete: number }> {
  const objects = await objectsForSeqs(db, opts.category, opts.after, opts.upTo, PAGE_MAX_OBJECTS + 1);
  const changes: Change[] = [];
  const wanted = opts.severities && opts.severities.length > 0 ? new Set(opts.severities) : undefined;
  let complete = opts.upTo;
  for (const [i, o] of objects.entries()) {
    if (i === PAGE_MAX_OBJECTS) {
      complete = Math.min(complete, o.from_seq); // an unread object starts after from_seq
      break;
    }
    for (const line of await objectLines(bucket, o)) {
      if (line.seq <= opts.after || line.seq > opts.upTo) continue;
      if (wanted && !isTombstone(line) && !wanted.has(line.severity)) continue;
      changes.push(lineChange(line));
    }
    if (changes.length >= opts.limit) {
      const next = objects[i + 1];
      if (next) complete = Math.min(complete, next.from_seq);
      break;
    }
  }
  changes.sort((a, b) => a.seq - b.seq);
  return { changes, complete };
}

/** An archived event by id: its last change (the event or its tombstone) and its history. */
export async function findArchived(
  db: Db,
  bucket: R2Bucket,
  id: string,
): Promise<{ line: ArchivedLine; history: HistoryEntry[] } | undefined> {
  let found: ArchivedLine | undefined;
  for (const o of await objectsForIds(db, [id])) {
    for (const line of await objectLines(bucket, o))
      if (line.id === id && (!found || line.seq > found.seq)) found = line;
  }
  return found ? { line: found, history: found.history ?? [] } : undefined;
}

/** The archived seq of each of `ids` that the archive holds (a duplicate of an archived event answers with it). */
export async function archivedSeqs(
  db: Db,
  bucket: R2Bucket,
  ids: string[],
  scope?: readonly Category[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (ids.length === 0) return out;
  const wanted = new Set(ids);
  for (const o of await objectsForIds(db, ids)) {
    for (const line of await objectLines(bucket, o))
      if (wanted.has(line.id) && (!scope || scope.includes(line.category)) && line.seq > (out.get(line.id) ?? 0))
        out.set(line.id, line.seq);
  }
  return out;
}

/** An event from whichever tier holds it (D1 first): what findEvent gives, plus `archived` and, for an archived one, its history. */
export async function findAnyTier(
  db: Db,
  bucket: R2Bucket | undefined,
  id: string,
  user: string,
): Promise<
  | {
      seq: number;
      category: Category;
      deleted: boolean;
      event: QuaycastEvent;
      read: boolean;
      archived: boolean;
      history?: HistoryEntry[];
    }
  | undefined
> {
  const hot = await findEvent(db, id, user);
  if (hot || !bucket) return hot && { ...hot, archived: false };
  const cold = await findArchived(db, bucket, id);
  if (!cold) return undefined;
  const { line } = cold;
  if (isTombstone(line))
    return {
      seq: line.seq,
      category: line.category,
      deleted: true,
      event: line as unknown as QuaycastEvent,
      read: true,
      archived: true,
      history: cold.history,
    };
  return {
    seq: line.seq,
    category: line.category,
    deleted: false,
    event: lineChange(line) as QuaycastEvent,
    read: true,
    archived: true,
    history: cold.history,
  };
}
