/**
 * The sequencer of a category: the room's single writer, which gives every change the next
 * `seq` and stores it in D1 (docs/rooms.md, "Why there is never a gap or a duplicate").
 *
 * Ordering (why a client can never miss an event by resuming from a seq it saw):
 *  - Every write of a room goes through this single writer loop (`writeLoop`). The loop takes
 *    everything queued, assigns the next seqs, stores the batch in D1 in one transaction, and
 *    only then — synchronously, with no await in between — settles it (`SequencerHost.settle`,
 *    Room.settle): advances `lastSeq` and sends the batch to the live subscribers. One batch is
 *    in flight at a time, so batches are stored and pushed in seq order, whatever order the
 *    ingest requests arrived in.
 *  - A subscriber that resumes (`after`) is "catching up" (catch-up.ts): it reads pages of
 *    `(cursor, lastSeq]` from D1 (or from the in-memory RecentChanges once its cursor is inside
 *    it) and is switched to live in the same synchronous step that sees it has caught up. Every
 *    change with seq <= lastSeq was stored before lastSeq moved, so the pages covered it; every
 *    later one is pushed live. Each subscriber keeps the highest seq it has been given (`cursor`)
 *    and is never sent a change at or below it: no gap, no duplicate.
 *  - A write whose outcome is unknown (D1 threw) may have committed rows that were never pushed.
 *    The next settle then does not push at all (`markUncertain`): it turns every live subscriber
 *    back into a catching-up one, which reads the uncertain range from D1.
 *  - Hibernation only happens while the room is idle, when every live socket's cursor equals
 *    `lastSeq`; so after a wake a live socket's cursor is rebuilt as `lastSeq` (catching-up
 *    sockets keep their cursor in the attachment and resume catching up).
 *  - Seqs are reserved in the object's storage a block at a time, before any seq of the block
 *    is written, so a restart never hands out a seq twice: a new instance settles the whole
 *    reserved block and continues after it (gaps, which resume tolerates). `lastSeq` itself lives
 *    in memory: no storage write per batch, so no output gate holds a batch's pushes.
 */
import { topicForCategory, type Category } from '../../protocol/enums.ts';
import type { Change, NewEvent } from '../../protocol/event.ts';
import type { Db } from '../db/client.ts';
import { insertNewEvents, maxSeq, replaceEvent, toInsertRow, type OutboxEntry } from '../db/events.ts';
import { errorFields, log } from '../log.ts';
import type { ChangeRequest, ChangeResult, CommitResult } from './rpc.ts';

/** Seqs reserved in storage at a time (see Sequencer.reservedEnd). */
export const SEQ_RESERVE_BLOCK = 10_000;
/** Most events one writer pass stores in one D1 transaction. */
export const MAX_WRITE_EVENTS = 2000;

export type PendingInsert = {
  kind: 'insert';
  events: NewEvent[];
  outbox: boolean;
  resolve: (r: CommitResult[]) => void;
  reject: (e: unknown) => void;
};
export type PendingChange = {
  kind: 'change';
  request: ChangeRequest;
  resolve: (r: ChangeResult) => void;
  reject: (e: unknown) => void;
};
export type Pending = PendingInsert | PendingChange;

export type SequencerHost = {
  readonly db: Db;
  readonly storage: DurableObjectStorage;
  readonly category: Category;
  /** Synchronous: the changes are stored; `lastSeq` moves to `upTo` and they are pushed (Room.settle). */
  settle(changes: Change[], upTo: number): void;
  /** A write of unknown outcome: the next settle must not push directly. */
  markUncertain(): void;
  /** D1 holds seqs above what storage knew (first use, a storage reset): the room's lastSeq moves to at least `seq`. */
  adoptBase(seq: number): void;
};

/**
 * The inserts at the head of the queue that one transaction stores together: consecutive ones,
 * at least one, and no more than `maxEvents` events unless the first alone has more.
 */
export function takeInsertGroup(queue: Pending[], maxEvents: number): PendingInsert[] {
  const group: PendingInsert[] = [];
  let count = 0;
  while (queue.length > 0) {
    const next = queue[0]!;
    if (next.kind !== 'insert' || (group.length > 0 && count + next.events.length > maxEvents)) break;
    queue.shift();
    group.push(next);
    count += next.events.length;
  }
  return group;
}

export class Sequencer {
  private readonly host: SequencerHost;
  /** Highest seq handed out (>= the room's lastSeq). */
  private reserved: number;
  /**
   * End of the seq block reserved in storage (>= reserved). Seqs are reserved a block at a time so
   * a batch costs no storage write (each write would hold the batch's pushes behind an output
   * gate); a restart continues after the block, leaving a gap that resume tolerates.
   */
  private reservedEnd: number;
  /** True once `reserved` has been reconciled with D1 (first use, or after a storage reset). */
  private baseKnown: boolean;
  private queue: Pending[] = [];
  private writing = false;

  /** `start`: the room's lastSeq as this instance found it (the reserved block of the previous one is settled). */
  constructor(host: SequencerHost, start: number) {
    this.host = host;
    this.reserved = start;
    this.reservedEnd = start;
    this.baseKnown = start > 0;
  }

  /** Stores the events that are new by id, gives them seqs and settles them. One call per batch. */
  commit(events: NewEvent[], outbox: boolean): Promise<CommitResult[]> {
    return new Promise<CommitResult[]>((resolve, reject) =>
      this.enqueue({ kind: 'insert', events, outbox, resolve, reject }),
    );
  }

  /** Applies a workflow change or delete: the event takes the next seq and is pushed again. */
  change(request: ChangeRequest): Promise<ChangeResult> {
    return new Promise<ChangeResult>((resolve, reject) => this.enqueue({ kind: 'change', request, resolve, reject }));
  }

  /** Learns the room's highest seq from D1 when storage does not know it (first use, storage reset). */
  async ensureBase(): Promise<void> {
    if (this.baseKnown) return;
    const stored = await maxSeq(this.host.db, this.host.category);
    this.baseKnown = true;
    if (stored > this.reserved) {
      this.reserved = stored;
      this.reservedEnd = Math.max(this.reservedEnd, stored);
      this.host.adoptBase(stored);
    }
  }

  private enqueue(item: Pending): void {
    this.queue.push(item);
    if (!this.writing) void this.writeLoop();
  }

  /**
   * The single writer: group-commits consecutive inserts (everything that queued while the
   * previous write was in flight), applies changes one by one, in arrival order.
   */
  private async writeLoop(): Promise<void> {
    this.writing = true;
    const room = this.host.category;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'change') {
          this.queue.shift();
          try {
            head.resolve(await this.writeChange(head.request));
          } catch (err) {
            this.host.markUncertain();
            log('error', 'room change failed', { room, id: head.request.id, ...errorFields(err) });
            head.reject(err);
          }
          continue;
        }
        const group = takeInsertGroup(this.queue, MAX_WRITE_EVENTS);
        try {
          const results = await this.write(group);
          let at = 0;
          for (const p of group) {
            p.resolve(results.slice(at, at + p.events.length));
            at += p.events.length;
          }
        } catch (err) {
          this.host.markUncertain();
          log('error', 'room write failed', {
            room,
            events: group.reduce((n, p) => n + p.events.length, 0),
            ...errorFields(err),
          });
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Hands out `count` seqs, never twice even across restarts (see reservedEnd); returns the first. */
  private async reserve(count: number): Promise<number> {
    await this.ensureBase();
    const first = this.reserved + 1;
    this.reserved = first + count - 1;
    if (this.reserved > this.reservedEnd) {
      this.reservedEnd = this.reserved + SEQ_RESERVE_BLOCK;
      await this.host.storage.put('reserved', this.reservedEnd);
    }
    return first;
  }

  private async write(group: PendingInsert[]): Promise<CommitResult[]> {
    const events = group.flatMap((p) => p.events);
    const first = await this.reserve(events.length);
    const rows = events.map((e, i) => toInsertRow(e, first + i));
    const outbox: OutboxEntry[] = [];
    let at = 0;
    for (const p of group) {
      if (p.outbox)
        for (let i = 0; i < p.events.length; i++)
          outbox.push({ id: rows[at + i]!.id, seq: rows[at + i]!.seq, topic: topicForCategory(p.events[i]!.category) });
      at += p.events.length;
    }
    const last = first + events.length - 1;
    const started = Date.now();
    const inserted = await insertNewEvents(this.host.db, rows, outbox);
    // From here to the end of this function there is no await: store order = push order.
    const stored: Change[] = [];
    const results: CommitResult[] = rows.map((row, i) => {
      if (inserted.get(row.id) === row.seq) {
        stored.push({ ...events[i]!, seq: row.seq });
        return { id: row.id, status: 'stored', seq: row.seq };
      }
      return { id: row.id, status: 'duplicate' };
    });
    this.host.settle(stored, last);
    log('info', 'room batch', {
      room: this.host.category,
      events: events.length,
      stored: stored.length,
      lastSeq: last,
      writeMs: Date.now() - started,
    });
    return results;
  }

  private async writeChange(request: ChangeRequest): Promise<ChangeResult> {
    const seq = await this.reserve(1);
    const row = toInsertRow(request.next, seq);
    const ok = await replaceEvent(this.host.db, {
      id: request.id,
      expectedSeq: request.expectedSeq,
      row,
      deleted: request.deleted,
      history: request.history,
    });
    if (!ok) {
      this.host.settle([], seq); // the reserved seq is skipped, never reused
      return { status: 'conflict' };
    }
    const change: Change = request.deleted
      ? { id: request.id, seq, category: request.next.category, deleted: true }
      : { ...request.next, seq };
    this.host.settle([change], seq);
    log('info', 'room change', { room: this.host.category, id: request.id, action: request.history.action, seq });
    return { status: 'changed', seq, change };
  }
}
