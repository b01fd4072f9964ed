/** One row of the feed: everything an operator scans for, in a fixed height (the list is windowed). */
import { For, Show } from 'solid-js';
import { useFeed, useNow } from '../stores/context.tsx';
import { absoluteTime, entityIds, lineage, relativeTime, STATUS_LABEL } from '../lib/format.ts';
import { SeverityIcon } from './Icons.tsx';
import { SlaBadge } from './SlaBadge.tsx';

export const ROW_HEIGHT = 64;

export function EventRow(props: {
  id: string;
  index: number;
  setSize: number;
  active: boolean;
  selected: boolean;
  onOpen: (id: string) => void;
  onFocusRow: (id: string) => void;
}) {
  const [feed, feedActions] = useFeed();
  const now = useNow();
  const e = () => feed.byId[props.id];
  return (
    <Show when={e()}>
      {(ev) => (
        <article
          class="row"
          classList={{ selected: props.selected, unread: !feedActions.isRead(ev()) }}
          data-id={props.id}
          data-seq={ev().seq}
          data-index={props.index}
          aria-posinset={props.index + 1}
          aria-setsize={props.setSize}
          aria-labelledby={`t-${props.index}`}
          aria-describedby={`m-${props.index}`}
          tabindex={props.active ? 0 : -1}
          style={{ transform: `translateY(${props.index * ROW_HEIGHT}px)` }}
          onClick={() => props.onOpen(props.id)}
          onFocus={() => props.onFocusRow(props.id)}
        >
          <div class={`row-sev sev-${ev().severity}`}>
            <SeverityIcon severity={ev().severity} />
            <span>{ev().severity}</span>
          </div>
          <div class="row-main">
            <div class="row-title">
              <Show when={!feedActions.isRead(ev())}>
                <span class="unread-dot" title="Unread" />
                <span class="sr-only">Unread. </span>
              </Show>
              <span class="title" id={`t-${props.index}`}>
                {ev().title}
              </span>
              <Show when={ev().requiresAction && ev().status !== 'Resolved' && ev().status !== 'Closed'}>
                <span class="badge action">Action required</span>
              </Show>
            </div>
            <div class="row-meta" id={`m-${props.index}`}>
              <span class="cat">{ev().category}</span>
              <span class="type">{ev().eventType}</span>
              <For each={entityIds(ev())}>
                {(x) => (
                  <span class="entity" title={`${x.label} id`}>
                    {x.value}
                  </span>
                )}
              </For>
              <span
                class="lineage"
                title={ev().origin?.kind === 'kafka' ? 'Kafka topic/partition@offset' : 'Created through the API'}
              >
                {lineage(ev())}
              </span>
            </div>
          </div>
          <div class="row-side">
            <span class={`status status-${ev().status}`}>{STATUS_LABEL[ev().status] ?? ev().status}</span>
            <SlaBadge event={ev()} />
            <time datetime={ev().eventTime} title={absoluteTime(ev().eventTime)}>
              {relativeTime(ev().eventTime, now())}
            </time>
          </div>
        </article>
      )}
    </Show>
  );
}
