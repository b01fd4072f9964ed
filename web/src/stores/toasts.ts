/** Visible, dismissible messages (errors of workflow actions, exports). */
import { createStore } from 'solid-js/store';

export type Toast = { id: number; kind: 'error' | 'info'; text: string };
export type ToastActions = { push(kind: Toast['kind'], text: string): void; dismiss(id: number): void };

export function createToastStore(lifetimeMs = 8000): [{ list: Toast[] }, ToastActions] {
  const [state, setState] = createStore<{ list: Toast[] }>({ list: [] });
  let next = 1;
  const dismiss = (id: number) => setState('list', (l) => l.filter((t) => t.id !== id));
  return [
    state,
    {
      push(kind, text) {
        const id = next++;
        setState('list', (l) => [...l.slice(-4), { id, kind, text }]);
        setTimeout(() => dismiss(id), lifetimeMs);
      },
      dismiss,
    },
  ];
}
