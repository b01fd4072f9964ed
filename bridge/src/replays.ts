/**
 * One pass of dead-letter replays from the page (docs/bridge.md, "Dead letters on the page"):
 * read the watermarks, claim, and for each claimed request either find the copy an earlier
 * attempt produced (on a second claim, from `scanFrom`) or produce it, then settle all. Written
 * against its I/O (deps, replay-io.ts) so that the crash between produce and settle can be
 * tested; main.ts runs a pass when the outbox read says replays are due.
 */
import type { ClaimedReplay, Settlement } from '../../protocol/dead-letters.ts';
import { isCopyOf, replayRecord } from './dead-letter-report.ts';

export type { Settlement };

export type ReplayDeps = {
  consumed: readonly string[];
  /** High watermarks of the consumed topics' partitions, read before the claim. */
  watermarks(): Promise<{ topic: string; partition: number; high: string }[]>;
  /**
   * The due requests, each checked against the contract; one that is not is answered `failed` at
   * once (in `malformed`) and never produced.
   */
  claim(
    watermarks: { topic: string; partition: number; high: string }[],
  ): Promise<{ claimed: ClaimedReplay[]; malformed: Settlement[] }>;
  /** The offset of the first record on topic/partition at or after `from` whose headers `match`, if any. */
  findCopy(
    topic: string,
    partition: number,
    from: string,
    match: (headers: Record<string, string>) => boolean,
  ): Promise<string | undefined>;
  /**
   * The value of the dead letter at dlqTopic/dlqPartition/dlqOffset, read from Kafka (for a
   * request whose value the Worker kept only a preview of); undefined when it is no longer there
   * (retention deleted it).
   */
  readDeadLetter(
    dlqTopic: string,
    dlqPartition: number,
    dlqOffset: string,
  ): Promise<{ value: Buffer | null } | undefined>;
  /** Produces one record with acks=-1; resolves to its offset. */
  produce(record: {
    topic: string;
    partition: number;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, string>;
  }): Promise<string>;
  settle(results: Settlement[]): Promise<void>;
};

/** Claims of one request before a failing produce is settled failed. */
export const MAX_ATTEMPTS = 3;

/** Claims and carries out the due replays once; returns the settlements sent. */
export async function replayPass(deps: ReplayDeps): Promise<Settlement[]> {
  const { claimed, malformed } = await deps.claim(await deps.watermarks());
  const results: Settlement[] = [...malformed];
  for (const r of claimed) {
    try {
      // A value longer than the preview the Worker kept is read whole from its DLQ record.
      const letter = r.fromDlq ? await deps.readDeadLetter(r.dlqTopic, r.dlqPartition, r.dlqOffset) : undefined;
      if (r.fromDlq && !letter) {
        results.push({
          id: r.id,
          outcome: 'failed',
          reason: `the dead letter is no longer on ${r.dlqTopic} at ${r.dlqPartition}:${r.dlqOffset} (retention deleted it?)`,
        });
        continue;
      }
      const plan = replayRecord(r, deps.consumed, letter);
      if (!plan.ok) {
        results.push({ id: r.id, outcome: 'failed', reason: plan.reason });
        continue;
      }
      // A request claimed before may have been produced by the attempt that crashed before settling.
      if (r.attempt > 1 && r.scanFrom !== null) {
        const earlier = await deps.findCopy(plan.topic, plan.partition, r.scanFrom, (h) => isCopyOf(r.id, h));
        if (earlier !== undefined) {
          results.push({ id: r.id, outcome: 'produced', partition: plan.partition, offset: earlier });
          continue;
        }
      }
      const offset = await deps.produce(plan);
      results.push({ id: r.id, outcome: 'produced', partition: plan.partition, offset });
    } catch (err) {
      // A produce that failed may still have landed (a timeout after the broker wrote it): leave the
      // request claimed, so that the next claim, after the lease, looks for the copy first. Only the
      // last attempt settles it failed.
      if (r.attempt >= MAX_ATTEMPTS)
        results.push({
          id: r.id,
          outcome: 'failed',
          reason: (err instanceof Error ? err.message : String(err)).slice(0, 2000),
        });
    }
  }
  if (results.length > 0) await deps.settle(results);
  return results;
}
