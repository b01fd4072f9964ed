/** The bell in the header: the unread count, and the inbox as a popover (docs/rules.md, "Notifications"). */
import { For, Show, createSignal } from 'solid-js';
import { useNotifications } from '../stores/context.tsx';
import { PushToggle } from './PushToggle.tsx';

export function Bell(props: { onOpenEvent?: (id: string) => void }) {
  const [inbox, actions] = useNotifications();
  const [open, setOpen] = createSignal(false);
  return (
    <div class="bell">
      <button
        type="button"
        class="icon-btn bell-btn"
        aria-label={`Notifications: ${inbox.unread} unread`}
        aria-expanded={open()}
        data-testid="bell"
        onClick={() => setOpen((v) => !v)}
      >
        <svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
          <path
            d="M8 1a4.5 4.5 0 0 1 4.5 4.5V9l1.5 2.5v1H2v-1L3.5 9V5.5A4.5 4.5 0 0 1 8 1zM6.2 13.5h3.6a1.8 1.8 0 0 1-3.6 0z"
            fill="currentColor"
          />
        </svg>
        <Show when={inbox.unread > 0}>
          <span class="bell-count" data-testid="bell-count">
            {inbox.unread > 99 ? '99+' : inbox.unread}
          </span>
        </Show>
      </button>
      <Show when={open()}>
        <section class="bell-inbox card" aria-label="Notifications" data-testid="inbox">
          <header>
            <h2>Notifications</h2>
            <button type="button" class="link" disabled={inbox.unread === 0} onClick={() => void actions.markAllRead()}>
              Mark all read
            </button>
          </header>
          <PushToggle />
          <Show when={inbox.list.length > 0} fallback={<p class="muted">Nothing yet.</p>}>
            <ul>
              <For each={inbox.list}>
                {(n) => (
                  <li classList={{ unread: !n.read }} data-testid="notification">
                    <button type="button" class="link" onClick={() => props.onOpenEvent?.(n.eventId)}>
                      <span class={`sev sev-${n.severity.toLowerCase()}`}>{n.severity}</span> {n.title}
                    </button>
                    <time datetime={n.createdAt}>{new Date(n.createdAt).toLocaleTimeString()}</time>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <footer>
            <label>
              <input
                type="checkbox"
                checked={inbox.sound}
                onChange={(e) => actions.setSound(e.currentTarget.checked)}
              />{' '}
              Sound and desktop alerts for Critical when the tab is hidden
            </label>
            <Show when={!inbox.live}>
              <span class="muted"> (reconnecting)</span>
            </Show>
          </footer>
        </section>
      </Show>
    </div>
  );
}
