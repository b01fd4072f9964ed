/** One line for the whole connection: what an operator needs to know at a glance. */
import { pipelineNeedsAttention, type PipelineState } from '../../../protocol/pipeline.ts';
import type { RoomStatus, Transport } from './room-client/index.ts';

export type ConnectionSummary =
  | { kind: 'idle'; label: string }
  | { kind: 'connecting'; label: string }
  | { kind: 'connected'; label: string }
  | { kind: 'fallback'; label: string; transport: Transport }
  | { kind: 'reconnecting'; label: string; inSeconds: number }
  | { kind: 'offline'; label: string };

const TRANSPORT_LABEL: Record<Transport, string> = { ws: 'WebSocket', sse: 'Server-Sent Events', poll: 'long-polling' };

export function summarize(rooms: RoomStatus[], online: boolean, now: number): ConnectionSummary {
  if (rooms.length === 0) return { kind: 'idle', label: 'No rooms watched' };
  // Not a network state: the rooms wait for a new sign-in (never a calm "Live" then).
  if (rooms.some((r) => r.state === 'expired')) return { kind: 'offline', label: 'Sign-in expired — sign in again' };
  if (!online && rooms.some((r) => r.state !== 'open'))
    return { kind: 'offline', label: 'Offline — waiting for the network' };
  const waiting = rooms.filter((r) => r.state === 'waiting' || r.state === 'offline');
  if (waiting.length > 0) {
    const next = Math.min(...waiting.map((r) => r.retryAt ?? now));
    const inSeconds = Math.max(0, Math.ceil((next - now) / 1000));
    return {
      kind: 'reconnecting',
      label: inSeconds > 0 ? `Reconnecting in ${inSeconds}s` : 'Reconnecting…',
      inSeconds,
    };
  }
  if (rooms.some((r) => r.state === 'connecting' || r.state === 'stopped'))
    return { kind: 'connecting', label: 'Connecting…' };
  const fallback = rooms.find((r) => r.transport !== 'ws');
  if (fallback)
    return {
      kind: 'fallback',
      label: `Connected via ${TRANSPORT_LABEL[fallback.transport]}`,
      transport: fallback.transport,
    };
  return { kind: 'connected', label: 'Live' };
}

/** What the dashboard knows of the pipeline behind the rooms (`GET /api/stats` → `pipeline`). */
export type PipelineView = { state: PipelineState; reasons: string[] };

/** The status pill: its label, and when the pipeline needs attention, why. */
export type Pill = { label: string; stalled: boolean; reason: string | undefined };

/**
 * The pill never says a calm *Live* (or "Connected via …") while the pipeline behind the rooms is
 * stalled or unknown: the socket being up says nothing about Kafka records reaching D1. A
 * connection problem (reconnecting, offline) is shown as it is: it is the more immediate news.
 */
export function pillOf(summary: ConnectionSummary, pipeline: PipelineView | undefined): Pill {
  const up = summary.kind === 'connected' || summary.kind === 'fallback';
  if (!up || !pipeline || !pipelineNeedsAttention(pipeline.state))
    return { label: summary.label, stalled: false, reason: undefined };
  const reason =
    pipeline.reasons[0] ??
    (pipeline.state === 'unknown'
      ? 'No bridge is reporting: whether Kafka records arrive is unknown.'
      : 'The pipeline is stalled.');
  return { label: 'Stalled', stalled: true, reason };
}
