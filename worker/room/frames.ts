/**
 * The room's wire framing: `events` frames of bounded size, and the one place the Server-Sent
 * Events frame format is written (events, messages, `retry:`, `event: error`, heartbeats).
 */
import type { Change } from '../../protocol/event.ts';
import type { ServerMessage } from '../../protocol/room.ts';

/** One `events` frame: its JSON and the seq of its last change (the SSE `id:`, the socket's ledger). */
export type Frame = { json: string; lastSeq: number };

/** Splits changes into `events` frames of at most `maxBytes` (a single oversized change gets its own frame). */
export function framesOf(changes: Change[], maxBytes: number): Frame[] {
  if (changes.length === 0) return [];
  const whole = eventsJson(changes);
  if (whole.length <= maxBytes || changes.length === 1)
    return [{ json: whole, lastSeq: changes[changes.length - 1]!.seq }];
  const frames: Frame[] = [];
  let batch: Change[] = [];
  let size = 0;
  for (const c of changes) {
    const n = JSON.stringify(c).length + 1;
    if (batch.length > 0 && size + n > maxBytes) {
      frames.push({ json: eventsJson(batch), lastSeq: batch[batch.length - 1]!.seq });
      batch = [];
      size = 0;
    }
    batch.push(c);
    size += n;
  }
  frames.push({ json: eventsJson(batch), lastSeq: batch[batch.length - 1]!.seq });
  return frames;
}

function eventsJson(events: Change[]): string {
  return JSON.stringify({ type: 'events', events } satisfies ServerMessage);
}

/**
 * The fields of one SSE frame, written in this order: a comment (`: hb 12`, ignored by
 * EventSource), `retry:` (how long EventSource waits before it reconnects), `event:` (the
 * listener it reaches: none is `message`), `id:` (what EventSource sends back as
 * `Last-Event-ID`), `data:` (one server message's JSON, which never holds a line break).
 */
export type SseFields = { comment?: string; retry?: number; event?: string; id?: number; data?: string };

/** One SSE frame, ended by the blank line that dispatches it. */
export function sseFrame({ comment, retry, event, id, data }: SseFields): string {
  return (
    (comment === undefined ? '' : `: ${comment}\n`) +
    (retry === undefined ? '' : `retry: ${retry}\n`) +
    (event === undefined ? '' : `event: ${event}\n`) +
    (id === undefined ? '' : `id: ${id}\n`) +
    (data === undefined ? '' : `data: ${data}\n`) +
    '\n'
  );
}
