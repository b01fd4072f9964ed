/**
 * An open event's SLA countdown (lib/sla.ts): live on the app's one-second clock, amber under a
 * quarter of the target left, red once breached, and saying so in words (not by colour alone).
 */
import { Show, createMemo } from 'solid-js';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import { slaClock, slaDescription, slaText, type SlaClock } from '../lib/sla.ts';
import { useNow, useSla } from '../stores/context.tsx';

/** The running clock of `event` (undefined: closed, or no targets read yet). */
export function useSlaClock(event: () => QuaycastEvent | undefined): () => SlaClock | undefined {
  const [sla] = useSla();
  const now = useNow();
  return createMemo(() => {
    const e = event();
    const targets = sla.doc?.targets;
    return e && targets ? slaClock(e, targets, now()) : undefined;
  });
}

export function SlaBadge(props: { event: QuaycastEvent; long?: boolean }) {
  const clock = useSlaClock(() => props.event);
  return (
    <Show when={clock()}>
      {(c) => (
        <span
          class={`sla sla-${c().state}`}
          data-testid="sla"
          data-state={c().state}
          data-phase={c().phase}
          title={slaDescription(c())}
        >
          <span class="sla-mark" aria-hidden="true">
            {c().state === 'breached' ? '■' : c().state === 'warning' ? '▲' : '●'}
          </span>
          {props.long ? slaDescription(c()) : slaText(c())}
        </span>
      )}
    </Show>
  );
}
