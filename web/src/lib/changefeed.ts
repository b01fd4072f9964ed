/**
 * Client side of a room's changefeed: a change applies only when its seq is above the one
 * already known for its id, so replays, overlapping transports and retries never show an
 * event twice or roll it back to an older state.
 */
import { isTombstone, type Change } from '../../../protocol/event.ts';

export type ChangeOutcome = 'insert' | 'replace' | 'delete' | 'stale';

/** Decides what `change` does given `known` (id → highest seq seen, tombstones included) and records it. */
export function admitChange(
  known: Map<string, number>,
  present: (id: string) => boolean,
  change: Change,
): ChangeOutcome {
  const seen = known.get(change.id);
  if (seen !== undefined && change.seq <= seen) return 'stale';
  known.set(change.id, change.seq);
  if (isTombstone(change)) return present(change.id) ? 'delete' : 'stale';
  return present(change.id) ? 'replace' : 'insert';
}
