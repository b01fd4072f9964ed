/**
 * A room's changefeed over both tiers (docs/archive.md, "One history"): the changes after a seq,
 * from R2 for the part that moved and from D1 for the rest, merged in seq order. A change is in
 * exactly one tier at any moment a reader can see (mover.ts), so the merge never sees it twice.
 */
import type { Category, Severity } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import { archiveState } from '../db/archive.ts';
import type { Db } from '../db/client.ts';
import { changesAfter } from '../db/events.ts';
import { archivedChanges } from './reader.ts';

export type ChangesPage = {
  changes: Change[];
  /**
   * The seq the reader has now seen everything up to: the last change when the page is full, else
   * the point the page was complete to (the page's `upTo`, or less when the archive part stopped
   * early). The next page starts after it.
   */
  through: number;
};

/** One page of `(after, upTo]`, in seq order, at most `limit` changes, from whichever tiers hold it. */
export async function changesPage(
  db: Db,
  bucket: R2Bucket | undefined,
  opts: { category: Category; after: number; upTo: number; severities?: readonly Severity[]; limit: number },
): Promise<ChangesPage> {
  const hot = changesAfter(db, opts);
  const archived = bucket && opts.after < (await archiveState(db, opts.category)).through_seq;
  if (!archived) {
    const changes = await hot;
    return { changes, through: changes.length === opts.limit ? changes[changes.length - 1]!.seq : opts.upTo };
  }
  const [d1, cold] = await Promise.all([hot, archivedChanges(db, bucket, opts)]);
  // D1's page is complete up to its last row when full; the archive's up to `complete`.
  const d1Complete = d1.length === opts.limit ? d1[d1.length - 1]!.seq : opts.upTo;
  const complete = Math.min(d1Complete, cold.complete);
  const merged = [...d1, ...cold.changes].filter((c) => c.seq <= complete).sort((a, b) => a.seq - b.seq);
  const changes = merged.slice(0, opts.limit);
  const through = changes.length === opts.limit ? changes[changes.length - 1]!.seq : complete;
  return { changes, through };
}
