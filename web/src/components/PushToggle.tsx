/**
 * "Alarms on this device" (docs/push.md): turns Web Push on or off for this browser and the
 * signed-in user, from a click (the browser's permission prompt needs a user gesture). Shown only
 * where it can work: a browser with the Push API, and a Worker with push configured.
 */
import { Match, Show, Switch, createSignal, onMount } from 'solid-js';
import { type PushState, pushStatus, subscribePush, unsubscribePush } from '../lib/push.ts';
import { useSession } from '../stores/context.tsx';

export function PushToggle() {
  const [session] = useSession();
  const opts = { token: () => session.token };
  const [state, setState] = createSignal<PushState | 'busy' | 'error'>('unsupported');
  onMount(() => {
    pushStatus(opts).then(setState, () => setState('unsupported'));
  });
  async function toggle(on: boolean) {
    setState('busy');
    try {
      setState(await (on ? subscribePush(opts) : unsubscribePush(opts)));
    } catch {
      setState('error');
    }
  }
  return (
    <Show when={state() !== 'unsupported' && state() !== 'disabled'}>
      <div class="push-toggle" data-testid="push-toggle" data-state={state()}>
        <Switch>
          <Match when={state() === 'on'}>
            <span>Alarms on this device: on</span>
            <button type="button" class="link" onClick={() => void toggle(false)}>
              Turn off
            </button>
          </Match>
          <Match when={state() === 'off' || state() === 'error'}>
            <span>
              {state() === 'error' ? 'Could not change alarms on this device.' : 'Alarms on this device: off'}
            </span>
            <button type="button" class="link" onClick={() => void toggle(true)}>
              Turn on
            </button>
          </Match>
          <Match when={state() === 'denied'}>
            <span class="muted">Notifications are blocked for this site in the browser's settings.</span>
          </Match>
          <Match when={state() === 'busy'}>
            <span class="muted">…</span>
          </Match>
        </Switch>
      </div>
    </Show>
  );
}
