import { For } from 'solid-js';
import { useToasts } from '../stores/context.tsx';
import { Icon } from './Icons.tsx';

export function Toasts() {
  const [toasts, actions] = useToasts();
  return (
    <div class="toasts" role="region" aria-label="Notifications">
      <For each={toasts.list}>
        {(t) => (
          <div class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
            <span>{t.text}</span>
            <button type="button" class="icon-btn" aria-label="Dismiss" onClick={() => actions.dismiss(t.id)}>
              <Icon name="close" />
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
