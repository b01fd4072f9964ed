/** What this dashboard watches: categories are rooms (sockets), severities a server-side filter. */
import { For } from 'solid-js';
import { SEVERITIES } from '../../../protocol/enums.ts';
import { allowedCategories } from '../../../protocol/scope.ts';
import { useConnection, usePreferences, useSession } from '../stores/context.tsx';
import { SeverityIcon } from './Icons.tsx';

export function SubscriptionPanel() {
  const [prefs, actions] = usePreferences();
  const [conn] = useConnection();
  const [session] = useSession();
  // A scoped token sees only its rooms (the Worker refuses the others).
  const rooms = () => allowedCategories(session.claims ?? {});
  return (
    <section class="panel" aria-labelledby="sub-h">
      <h2 id="sub-h">Watching</h2>
      <fieldset class="chips">
        <legend>Rooms</legend>
        <For each={rooms()}>
          {(c) => (
            <label class="chip">
              <input
                type="checkbox"
                checked={prefs.subscription.categories.includes(c)}
                onChange={() => actions.toggleCategory(c)}
              />
              <span>{c}</span>
              <span class="chip-count" title="Connections in this room">
                {conn.rooms[c]?.connections ?? ''}
              </span>
            </label>
          )}
        </For>
      </fieldset>
      <fieldset class="chips">
        <legend>Severities</legend>
        <For each={SEVERITIES}>
          {(s) => (
            <label class={`chip sev-${s}`}>
              <input
                type="checkbox"
                checked={prefs.subscription.severities.includes(s)}
                onChange={() => actions.toggleSeverity(s)}
              />
              <SeverityIcon severity={s} />
              <span>{s}</span>
            </label>
          )}
        </For>
      </fieldset>
    </section>
  );
}
