/**
 * Says, above the feed, that what is shown is the offline copy and how old it is (docs/mobile.md):
 * while the browser is offline, or while the feed shown is the restored copy and no room is live.
 * Queued actions are counted here too (stores/outbox.ts).
 */
import { Show } from 'solid-js';
import { absoluteTime, relativeTime } from '../lib/format.ts';
import { useConnection, useNow, useOffline } from '../stores/context.tsx';

export function OfflineBanner(props: { pending?: number }) {
  const [conn] = useConnection();
  const [offline] = useOffline();
  const now = useNow();
  const shown = () => !conn.online || offline.restored();
  return (
    <Show when={shown()}>
      <div class="offline-banner" role="status" data-testid="offline-banner">
        <strong>{conn.online ? 'Reconnecting' : 'Offline'}</strong>
        <Show when={offline.savedAt()} fallback={<span> — nothing saved on this device yet.</span>}>
          {(t) => (
            <span>
              {' '}
              — showing events as received up to{' '}
              <time dateTime={new Date(t()).toISOString()} title={absoluteTime(t())} data-testid="offline-age">
                {relativeTime(new Date(t()).toISOString(), now())}
              </time>
              .
            </span>
          )}
        </Show>
        <Show when={(props.pending ?? 0) > 0}>
          <span data-testid="offline-pending">
            {' '}
            {props.pending} action{props.pending === 1 ? '' : 's'} waiting to be sent.
          </span>
        </Show>
      </div>
    </Show>
  );
}
