/** The room's bounds, in one place; docs/limits.md maps them. */
import { DEFAULT_MAX_SEND_DELAY_MS, DEFAULT_SEND_BUDGET_PER_SECOND } from '../config.ts';

/**
 * The room's bounds, in one place. Public on the instance so that tests can tighten them with
 * `runInDurableObject` (they reset to these defaults on every wake).
 */
export type RoomLimits = {
  /** Changes per replay page read from D1. */
  replayPageEvents: number;
  /** Rooms serve short resumes from memory: the most recent changes kept. */
  recentChanges: number;
  /** Largest `events` frame in UTF-16 units (≈ bytes); bigger batches are split. */
  maxFrameBytes: number;
  /** Live: a WebSocket may have this many bytes sent since its last ack/ping, then it is shed (1013). */
  maxUnackedBytes: number;
  /** Replay: no next page while this many bytes are unacknowledged (WebSocket) or unread (SSE). */
  replayWindowBytes: number;
  /** Replay: how long a page may wait for the window to open before the subscriber is shed. */
  replayStallMs: number;
  /** Replay pages read from D1 at once, room-wide (keeps old cursors from starving the writer). */
  maxConcurrentReplays: number;
  /** Of those, the most one token may hold at once (its fair share: one token cannot hold them all). */
  replaySlotsPerToken: number;
  /** Client frames allowed per window before the socket is closed as abusive (1008). */
  clientFramesPerWindow: number;
  clientWindowMs: number;
  /**
   * The send window (worker/room/send-window.ts, docs/rooms.md "Fan-out under load"): sends per
   * second (subscribers × frames) the room aims to stay under by putting several changes in one
   * frame. A change after a quiet spell goes out at once (leading edge), so the window costs
   * latency only under load, where it divides the sends. ROOM_SEND_BUDGET_PER_SECOND.
   */
  sendBudgetPerSecond: number;
  /** The longest a settled change waits for its frame, whatever the load. ROOM_MAX_SEND_DELAY_MS. */
  maxSendDelayMs: number;
  /** A fixed window instead (ms between frames; 0 = none), for the bench's curve. ROOM_SEND_WINDOW_MS. */
  fixedSendWindowMs: number | undefined;
  /** SSE comment heartbeat. */
  sseHeartbeatMs: number;
  /** `reconnect.afterMs` is drawn uniformly from [reconnectMinMs, reconnectMinMs + spread). */
  reconnectMinMs: number;
  reconnectSpreadMs: number;
};

export const DEFAULT_ROOM_LIMITS: Readonly<RoomLimits> = {
  replayPageEvents: 500,
  recentChanges: 500,
  maxFrameBytes: 256 * 1024,
  maxUnackedBytes: 4 * 1024 * 1024,
  replayWindowBytes: 4 * 1024 * 1024,
  replayStallMs: 15_000,
  maxConcurrentReplays: 4,
  replaySlotsPerToken: 2,
  clientFramesPerWindow: 100,
  clientWindowMs: 10_000,
  sendBudgetPerSecond: DEFAULT_SEND_BUDGET_PER_SECOND,
  maxSendDelayMs: DEFAULT_MAX_SEND_DELAY_MS,
  fixedSendWindowMs: undefined,
  sseHeartbeatMs: 15_000,
  reconnectMinMs: 500,
  reconnectSpreadMs: 5_000,
};
