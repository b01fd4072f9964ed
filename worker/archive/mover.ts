/**
 * The move to the archive (docs/archive.md): each room's changes older than the hot window go, in
 * seq order and exactly once, from D1 to immutable R2 objects. A room's cursor (`through_seq`)
 * says how far it has gone; every row at or below it has moved, or is still open in the workflow
 * (requiresAction, not Resolved/Closed, not deleted) and stays hot until it changes, which gives
 * it a new seq above the cursor. One move, crash-safe at every step:
 *
 *   1. plan: the rows after the cursor, up to the first one still inside the hot window (or whose
 *      outbox row is unpublished: a change leaves D1 only once Kafka has it), at most `maxRows`
 *      and `maxBytes`; the range `(through, last]` and its key are recorded as a *pending* intent;
 *   2. write: the range's movable rows, with their workflow history, as one gzip NDJSON object;
 *      R2 checks the SHA-256 we give it, and a HEAD checks the stored size;
 *   3. commit, one D1 transaction: a guard (every moved row is still at the seq the object holds:
 *      a change that slipped in aborts the whole commit), the manifest row made *committed*, the
 *      ids in the index, the counters, the rows and what is keyed by them deleted, the cursor moved;
 *   4. manifest: R2's manifest/<Category>.json rewritten from the committed rows.
 *
 * Killed after 1, the next run finds the intent and redoes exactly that range under the same key
 * (the object, if half-written, is simply written again: R2 puts are atomic). Killed after 2, the
 * same (the object is overwritten with the same rows). Killed after 3, the next run sees the R2
 * manifest is older than D1's version and rewrites it. The rows are in D1 until 3 and in R2 from
 * 2, and readers consult R2 only through committed manifest rows: every change is read exactly once.
 */
import { CATEGORIES, type Category, type Status } from '../../protocol/enums.ts';
import type { Db } from '../db/client.ts';
import { ruleCursor } from '../db/rules.ts';
import {
  archiveState,
  commitMove,
  committedObjects,
  dropIntent,
  expiredObjects,
  expireObject,
  expiringObjects,
  forgetObject,
  historyOf,
  manifestWritten,
  mergePagesFor,
  mergeSearchIndex,
  pendingIntent,
  recordIntent,
  rowsAfter,
  rowsInRange,
  type ArchiveObjectRow,
  type MoveRow,
} from '../db/archive.ts';
import { rowToChange } from '../db/events.ts';
import { errorFields, log } from '../log.ts';
import { encodeObject, manifestKey, objectKey, sha256Hex, type ArchivedLine, type Manifest } from './format.ts';
import { objectLines } from './reader.ts';

const DAY_MS = 86_400_000;
/** Rows a move scans at most (one object holds at most this many changes). */
export const MOVE_MAX_ROWS = 5000;
/** JSON bytes of the rows one object holds at most (before gzip). */
export const MOVE_MAX_BYTES = 4 * 1024 * 1024;
/** A run starts no new move after this long. */
export const MOVE_BUDGET_MS = 20_000;
/** Expired objects one run deletes at most. */
const EXPIRE_MAX_OBJECTS = 50;

/** Where a test stops a move, as a kill would (development only; docs/archive.md, "Crash safety"). */
export const FAULT_POINTS = ['before-put', 'after-put', 'after-commit'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export class InjectedFault extends Error {
  readonly point: FaultPoint;
  constructor(point: FaultPoint) {
    super(`archive move stopped at ${point} (injected fault)`);
    this.point = point;
  }
}

export type MoveOptions = {
  /** The run's clock, ms since epoch. */
  now: number;
  hotDays: number;
  retentionDays: number;
  maxRows?: number;
  maxBytes?: number;
  budgetMs?: number;
  /** Most moves per run (all rooms together); unbounded by default (the time budget bounds it). */
  maxMoves?: number;
  fault?: FaultPoint;
};

export type ArchiveReport = {
  cutoff: string;
  /** Changes that left D1 for R2 in this run. */
  moved: number;
  objects: number;
  bytes: number;
  /** Interrupted moves this run completed. */
  redone: number;
  /** Moves abandoned because a row changed under them (planned again next run). */
  raced: number;
  manifests: number;
  expiredObjects: number;
  expiredRows: number;
  byCategory: Partial<Record<Category, number>>;
  /** True when the run stopped at a bound with movable rows left: the next run continues. */
  more: boolean;
  durationMs: number;
};

const DONE: ReadonlySet<Status> = new Set(['Resolved', 'Closed']);

/** A row that stays hot: an action still open in the workflow. */
export const staysHot = (r: Pick<MoveRow, 'requires_action' | 'deleted' | 'status'>) =>
  r.requires_action === 1 && r.deleted === 0 && !DONE.has(r.status);

/**
 * The prefix of a room's rows (in seq order) that a move may take: older than the cutoff,
 * published, already read by the rule runner (`ruledThrough`: its cursor, when the room has one),
 * within the bounds.
 */
export function planRange(
  rows: readonly MoveRow[],
  cutoff: number,
  maxBytes: number,
  ruledThrough: number = Number.POSITIVE_INFINITY,
): MoveRow[] {
  const take: MoveRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (r.updated_at >= cutoff || r.unpublished === 1 || r.seq > ruledThrough) break;
    bytes += r.doc.length;
    if (take.length > 0 && bytes > maxBytes) break;
    take.push(r);
  }
  return take;
}

type Outcome = 'moved' | 'idle' | 'raced';

/** One bounded run: every room's moves, round robin, then the archive's expiry. */
export async function runMoves(db: Db, bucket: R2Bucket, options: MoveOptions): Promise<ArchiveReport> {
  const started = Date.now();
  const cutoff = options.now - options.hotDays * DAY_MS;
  const budget = options.budgetMs ?? MOVE_BUDGET_MS;
  const report: ArchiveReport = {
    cutoff: new Date(cutoff).toISOString(),
    moved: 0,
    objects: 0,
    bytes: 0,
    redone: 0,
    raced: 0,
    manifests: 0,
    expiredObjects: 0,
    expiredRows: 0,
    byCategory: {},
    more: false,
    durationMs: 0,
  };
  // A manifest older than D1's version (a run killed after its commit) is rewritten first.
  for (const category of CATEGORIES) {
    const state = await archiveState(db, category);
    if (state.manifest_written < state.manifest_version) {
      await writeManifest(db, bucket, category, options.now);
      report.manifests++;
    }
  }
  let active: Category[] = [...CATEGORIES];
  let moves = 0;
  while (active.length > 0) {
    const next: Category[] = [];
    for (const category of active) {
      if (Date.now() - started >= budget || (options.maxMoves !== undefined && moves >= options.maxMoves)) {
        report.more = true;
        break;
      }
      const outcome = await moveOnce(db, bucket, category, cutoff, options, report);
      moves++;
      if (outcome !== 'idle') next.push(category);
    }
    if (report.more) break;
    active = next;
  }
  await expire(db, bucket, options, report);
  report.durationMs = Date.now() - started;
  return report;
}

async function moveOnce(
  db: Db,
  bucket: R2Bucket,
  category: Category,
  cutoff: number,
  options: MoveOptions,
  report: ArchiveReport,
): Promise<Outcome> {
  let intent = await pendingIntent(db, category);
  let rows: MoveRow[];
  if (intent) {
    rows = await rowsInRange(db, category, intent.from_seq, intent.to_seq);
    report.redone++;
    log('warn', 'archive: completing an interrupted move', {
      room: category,
      key: intent.object_key,
      fromSeq: intent.from_seq,
      toSeq: intent.to_seq,
    });
  } else {
    const state = await archiveState(db, category);
    const scanned = await rowsAfter(db, category, state.through_seq, options.maxRows ?? MOVE_MAX_ROWS);
    // The rule runner reads the changefeed from D1 only: a change it has not read yet stays hot.
    const ruledThrough = (await ruleCursor(db, category)) ?? Number.POSITIVE_INFINITY;
    rows = planRange(scanned, cutoff, options.maxBytes ?? MOVE_MAX_BYTES, ruledThrough);
    if (rows.length === 0) {
      const waiting = scanned[0];
      if (waiting && waiting.updated_at < cutoff && waiting.unpublished === 0 && waiting.seq > ruledThrough)
        log('warn', 'archive waits for the rule runner: an old change is not yet read by the rules', {
          room: category,
          seq: waiting.seq,
          ruledThrough,
        });
      if (waiting && waiting.updated_at < cutoff && waiting.unpublished === 1)
        log('warn', 'archive waits for the outbox: an old API event is not yet published to Kafka', {
          room: category,
          id: waiting.id,
          seq: waiting.seq,
        });
      return 'idle';
    }
    const to = rows[rows.length - 1]!.seq;
    if (!rows.some((r) => !staysHot(r))) {
      await commitMove(db, { category, through: to, moved: [] }); // only open actions: the cursor moves past them
      return 'moved';
    }
    const oldest = Math.min(...rows.map((r) => r.updated_at));
    intent = await recordIntent(db, {
      category,
      key: objectKey(category, state.through_seq, to, oldest),
      from: state.through_seq,
      to,
      now: options.now,
    });
  }
  if (options.fault === 'before-put') throw new InjectedFault('before-put');

  const moving = rows.filter((r) => !staysHot(r));
  if (moving.length === 0) {
    // Every row of the interrupted range changed or stayed open meanwhile: nothing to write.
    await dropIntent(db, intent.object_id);
    await commitMove(db, { category, through: intent.to_seq, moved: [] });
    return 'moved';
  }
  const history = await historyOf(
    db,
    moving.map((r) => r.id),
  );
  const lines: ArchivedLine[] = moving.map((r) => {
    const change = rowToChange({ ...r, deleted: r.deleted === 1 });
    const h = history.get(r.id);
    return h ? { ...change, history: h } : change;
  });
  const bytes = await encodeObject(lines);
  const sha256 = await sha256Hex(bytes);
  await bucket.put(intent.object_key, bytes, {
    sha256,
    httpMetadata: { contentType: 'application/gzip' },
    customMetadata: {
      format: 'ndjson+gzip',
      category,
      fromSeq: String(intent.from_seq),
      toSeq: String(intent.to_seq),
      rows: String(lines.length),
    },
  });
  if (options.fault === 'after-put') throw new InjectedFault('after-put');
  const head = await bucket.head(intent.object_key);
  if (!head || head.size !== bytes.length)
    throw new Error(`archive object ${intent.object_key} not verified: ${head ? `${head.size} bytes` : 'missing'}`);

  try {
    await commitMove(db, {
      category,
      through: intent.to_seq,
      object: {
        id: intent.object_id,
        rows: lines.length,
        bytes: bytes.length,
        sha256,
        minReceived: Math.min(...moving.map((r) => r.received_at)),
        maxReceived: Math.max(...moving.map((r) => r.received_at)),
        maxUpdated: Math.max(...moving.map((r) => r.updated_at)),
      },
      moved: moving.map((r) => ({ id: r.id, seq: r.seq })),
    });
  } catch (err) {
    if (!String((err as Error)?.message).includes('CHECK constraint failed')) throw err;
    // A row changed between the write and the commit: nothing committed. The intent and the
    // object go; the next run plans the range again from what D1 holds then.
    await dropIntent(db, intent.object_id);
    await bucket.delete(intent.object_key);
    report.raced++;
    log('warn', 'archive: a row changed during the move; the range is planned again', {
      room: category,
      key: intent.object_key,
    });
    return 'raced';
  }
  await mergeSearchIndex(db, mergePagesFor(lines.length)); // the deletes left markers in the full-text index
  report.moved += lines.length;
  report.objects++;
  report.bytes += bytes.length;
  report.byCategory[category] = (report.byCategory[category] ?? 0) + lines.length;
  if (options.fault === 'after-commit') throw new InjectedFault('after-commit');
  await writeManifest(db, bucket, category, options.now);
  report.manifests++;
  return 'moved';
}

/** Rewrites R2's manifest of a room from D1's committed rows, and notes the version it shows. */
export async function writeManifest(db: Db, bucket: R2Bucket, category: Category, now: number): Promise<void> {
  const state = await archiveState(db, category);
  const objects = await committedObjects(db, category);
  const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();
  const manifest: Manifest = {
    format: 'quaycast-archive/1',
    category,
    version: state.manifest_version,
    generatedAt: new Date(now).toISOString(),
    objects: objects.map((o: ArchiveObjectRow) => ({
      key: o.object_key,
      fromSeq: o.from_seq,
      toSeq: o.to_seq,
      rows: o.rows,
      bytes: o.bytes,
      sha256: o.sha256 ?? '',
      minReceivedAt: iso(o.min_received),
      maxReceivedAt: iso(o.max_received),
      maxUpdatedAt: iso(o.max_updated),
    })),
  };
  await bucket.put(manifestKey(category), JSON.stringify(manifest), {
    httpMetadata: { contentType: 'application/json' },
  });
  await manifestWritten(db, category, state.manifest_version);
}

/**
 * Archive retention: objects whose newest change is older than ARCHIVE_RETENTION_DAYS go. Per
 * object: its ids are read from it, then one D1 transaction drops them and its counts and marks it
 * `expiring` (readers stop seeing it), then R2 deletes it, then its manifest row goes. Killed
 * after the transaction, the next run finds it `expiring` and finishes the last two steps.
 */
async function expire(db: Db, bucket: R2Bucket, options: MoveOptions, report: ArchiveReport): Promise<void> {
  const cutoff = options.now - options.retentionDays * DAY_MS;
  const touched = new Set<Category>();
  for (const o of await expiringObjects(db, EXPIRE_MAX_OBJECTS)) {
    await bucket.delete(o.object_key);
    await forgetObject(db, o.object_id);
  }
  const objects = await expiredObjects(db, cutoff, EXPIRE_MAX_OBJECTS);
  for (const o of objects) {
    try {
      const lines = await objectLines(bucket, o);
      await expireObject(
        db,
        o,
        lines.map((l) => l.id),
      );
      await bucket.delete(o.object_key);
      await forgetObject(db, o.object_id);
      report.expiredObjects++;
      report.expiredRows += o.rows;
      touched.add(o.category);
    } catch (err) {
      log('error', 'archive: expiring an object failed', { key: o.object_key, ...errorFields(err) });
      throw err;
    }
  }
  for (const category of touched) {
    await writeManifest(db, bucket, category, options.now);
    report.manifests++;
  }
  if (objects.length === EXPIRE_MAX_OBJECTS) report.more = true;
}
