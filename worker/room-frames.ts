/** Pure helpers of the room's fan-out: framing changes, merging shard deliveries. */
import type { Change } from '../protocol/event.ts';
import type { ServerMessage } from '../protocol/room.ts';
import type { ShardDelivery } from './room-rpc.ts';

/** One `events` frame: its JSON and the seq of its last change (the SSE `id:`). */
export type Frame = { json: string; lastSeq: number };

/** Splits changes into `events` frames of at most `maxBytes` (a single oversized change gets its own frame). */
export function framesOf(changes: Change[], maxBytes: number): Frame[] {
  if (changes.length === 0) return [];
  const whole = JSON.stringify({ type: 'events', events: changes } satisfies ServerMessage);
  if (whole.length <= maxBytes || changes.length === 1) return [{ json: whole, lastSeq: changes[changes.length - 1]!.seq }];
  const frames: Frame[] = [];
  let batch: Change[] = [];
  let size = 0;
  for (const c of changes) {
    const n = JSON.stringify(c).length + 1;
    if (batch.length > 0 && size + n > maxBytes) {
      frames.push({ json: JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage), lastSeq: batch[batch.length - 1]!.seq });
      batch = [];
      size = 0;
    }
    batch.push(c);
    size += n;
  }
  frames.push({ json: JSON.stringify({ type: 'events', events: batch } satisfies ServerMessage), lastSeq: batch[batch.length - 1]!.seq });
  return frames;
}

/**
 * Takes the next delivery off a shard's queue: consecutive deliveries merged (at least one, up to
 * `maxChanges` changes). A merge that is not contiguous is marked uncertain, never papered over.
 */
export function takeDelivery(queue: ShardDelivery[], maxChanges: number): ShardDelivery {
  const first = queue.shift()!;
  const merged: ShardDelivery = { after: first.after, upTo: first.upTo, changes: [...first.changes], uncertain: first.uncertain };
  while (queue.length > 0 && merged.changes.length + queue[0]!.changes.length <= maxChanges) {
    const next = queue.shift()!;
    merged.uncertain ||= next.uncertain || next.after !== merged.upTo;
    merged.changes.push(...next.changes);
    merged.upTo = next.upTo;
  }
  return merged;
}

