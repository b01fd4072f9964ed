/** The connection at a glance, announced politely to screen readers when it changes. */
import { createMemo } from 'solid-js';
import type { RoomStatus } from '../lib/room-client.ts';
import { summarize } from '../lib/status.ts';
import { useConnection, useNow } from '../stores/context.tsx';

export function StatusIndicator() {
  const [conn] = useConnection();
  const now = useNow();
  const summary = createMemo(() => summarize(Object.values(conn.rooms).filter((r): r is NonNullable<typeof r> => !!r) as RoomStatus[], conn.online, now()));
  const detail = () =>
    Object.entries(conn.rooms)
      .map(([room, r]) => `${room}: ${r ? `${r.state}${r.state === 'open' ? ` (${r.transport})` : ''}${r.lastError && r.state !== 'open' ? ` — ${r.lastError}` : ''}` : 'off'}`)
      .join('\n');
  return (
    <div class={`conn conn-${summary().kind}`} role="status" aria-live="polite" data-testid="connection-status" data-kind={summary().kind} title={detail()}>
      <span class="conn-dot" aria-hidden="true" />
      <span>{summary().label}</span>
    </div>
  );
}
