/**
 * The connection at a glance, announced politely to screen readers when it changes. While the
 * pipeline behind the rooms is stalled or unknown (`GET /api/stats`, polled by the stats store),
 * it says *Stalled* and shows why instead of a calm *Live*.
 */
import { Show, createMemo } from 'solid-js';
import type { RoomStatus } from '../lib/room-client/index.ts';
import { pillOf, summarize } from '../lib/status.ts';
import { useConnection, useNow, useStats } from '../stores/context.tsx';

export function StatusIndicator() {
  const [conn] = useConnection();
  const [stats] = useStats();
  const now = useNow();
  const summary = createMemo(() =>
    summarize(
      Object.values(conn.rooms).filter((r): r is NonNullable<typeof r> => !!r) as RoomStatus[],
      conn.online,
      now(),
    ),
  );
  const pipeline = () => stats.data?.pipeline;
  const pill = createMemo(() => pillOf(summary(), pipeline()));
  const detail = () => {
    const rooms = Object.entries(conn.rooms)
      .map(
        ([room, r]) =>
          `${room}: ${r ? `${r.state}${r.state === 'open' ? ` (${r.transport})` : ''}${r.lastError && r.state !== 'open' ? ` — ${r.lastError}` : ''}` : 'off'}`,
      )
      .join('\n');
    const p = pipeline();
    return p ? `${rooms}\nPipeline: ${p.state}${p.reasons.length > 0 ? `\n${p.reasons.join('\n')}` : ''}` : rooms;
  };
  return (
    <div
      class={`conn conn-${summary().kind}`}
      classList={{ 'conn-stalled': pill().stalled }}
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-kind={summary().kind}
      data-pipeline={pipeline()?.state ?? 'none'}
      title={detail()}
    >
      <span class="conn-dot" aria-hidden="true" />
      <span class="conn-label">{pill().label}</span>
      <Show when={pill().reason}>
        {(reason) => (
          <span class="conn-reason" data-testid="pipeline-reason">
            {reason()}
          </span>
        )}
      </Show>
    </div>
  );
}
