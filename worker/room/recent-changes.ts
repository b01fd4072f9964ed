/**
 * A room's most recent changes, kept in memory so that short resumes (reconnect storms after a
 * drain, a flaky network) are served without reading D1.
 *
 * Invariant: the buffer holds every *current* change with `from < seq <= to`. It is contiguous
 * by construction — the room appends every advance, including seqs that stored nothing — so a
 * cursor in `[from, to]` can be served entirely from memory. A change that supersedes an older
 * one of the same id (workflow change, delete) hides the older entry, exactly as D1 (which keeps
 * one row per id) would.
 */
import type { Severity } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import { changeMatches } from '../../protocol/room.ts';

export class RecentChanges {
  private entries: Change[] = [];
  /** id → the seq of its current entry. */
  private readonly current = new Map<string, number>();
  private start = 0;
  /** Exclusive lower bound of what the buffer covers. */
  from: number;
  /** Inclusive upper bound: the room's last seq. */
  to: number;

  private readonly capacity: number;

  constructor(capacity: number, at: number) {
    this.capacity = capacity;
    this.from = at;
    this.to = at;
  }

  /** Appends one advance: `changes` in seq order, all in `(to, upTo]`. */
  append(changes: readonly Change[], upTo: number): void {
    for (const c of changes) {
      this.entries.push(c);
      this.current.set(c.id, c.seq);
    }
    this.to = Math.max(this.to, upTo);
    const excess = this.entries.length - this.start - this.capacity;
    if (excess > 0) {
      for (let i = this.start; i < this.start + excess; i++) {
        const e = this.entries[i]!;
        if (this.current.get(e.id) === e.seq) this.current.delete(e.id);
        this.from = e.seq;
      }
      this.start += excess;
      if (this.start > this.capacity) {
        this.entries = this.entries.slice(this.start);
        this.start = 0;
      }
    }
  }

  /** Forgets everything: the buffer covers only `(at, at]` (after a write of unknown outcome). */
  reset(at: number): void {
    this.entries = [];
    this.current.clear();
    this.start = 0;
    this.from = at;
    this.to = at;
  }

  /** True when every change above `cursor` is in memory. */
  covers(cursor: number): boolean {
    return cursor >= this.from && cursor <= this.to;
  }

  /** The current changes above `cursor` that pass the filter, in seq order (call only when `covers(cursor)`). */
  after(cursor: number, severities: readonly Severity[] | null): Change[] {
    const out: Change[] = [];
    for (let i = this.start; i < this.entries.length; i++) {
      const c = this.entries[i]!;
      if (c.seq > cursor && this.current.get(c.id) === c.seq && changeMatches(c, severities)) out.push(c);
    }
    return out;
  }

  get size(): number {
    return this.entries.length - this.start;
  }
}
