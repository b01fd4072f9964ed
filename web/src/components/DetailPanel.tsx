/** The whole event: fields, workflow actions, history and the raw JSON. */
import { For, Show, createResource, onMount } from 'solid-js';
import { unwrap } from 'solid-js/store';
import { offlineDb } from '../lib/offline-db.ts';
import { useApi, useFeed } from '../stores/context.tsx';
import { absoluteTime, entityIds, lineage, pipelineStages, STATUS_LABEL } from '../lib/format.ts';
import { EventActions } from './EventActions.tsx';
import { Icon, SeverityIcon } from './Icons.tsx';
import { SlaBadge } from './SlaBadge.tsx';

export function DetailPanel(props: { id: string; onClose: () => void }) {
  const [feed, feedActions] = useFeed();
  const api = useApi();
  const e = () => feed.byId[props.id];
  let heading!: HTMLHeadingElement;
  // refetched whenever the event moves to a new seq (a workflow change); kept on this device for
  // offline use (lib/offline-db.ts), and read back from there when the network is gone
  const [history] = createResource(
    () => ({ id: props.id, seq: e()?.seq }),
    async ({ id }) => {
      try {
        const h = await api.history(id);
        const ev = e();
        if (ev) void offlineDb.saveDetail(unwrap(ev), h, Date.now());
        return h;
      } catch {
        return (await offlineDb.loadDetail(id))?.history;
      }
    },
  );
  onMount(() => heading.focus());

  return (
    <aside class="detail" aria-labelledby="detail-h" data-testid="detail">
      <header class="detail-head">
        <h2 id="detail-h" tabindex="-1" ref={heading}>
          {e()?.title ?? 'Event'}
        </h2>
        <button type="button" class="icon-btn" aria-label="Close detail (Esc)" onClick={() => props.onClose()}>
          <Icon name="close" />
        </button>
      </header>
      <Show when={e()} fallback={<p class="muted">This event was deleted or is no longer in view.</p>}>
        {(ev) => (
          <div class="detail-body">
            <div class="detail-badges">
              <span class={`sev-badge sev-${ev().severity}`}>
                <SeverityIcon severity={ev().severity} /> {ev().severity}
              </span>
              <span class={`status status-${ev().status}`} data-testid="detail-status">
                {STATUS_LABEL[ev().status]}
              </span>
              <Show when={ev().requiresAction}>
                <span class="badge action">Action required</span>
              </Show>
            </div>
            <SlaBadge event={ev()} long />
            <EventActions event={ev()} onDeleted={() => props.onClose()} />
            <Show when={ev().description}>
              <p class="description">{ev().description}</p>
            </Show>
            <dl class="kv">
              <dt>Category</dt>
              <dd>{ev().category}</dd>
              <dt>Type</dt>
              <dd>{ev().eventType}</dd>
              <dt>Priority</dt>
              <dd>{ev().priority}</dd>
              <dt>Event time</dt>
              <dd>{absoluteTime(ev().eventTime)}</dd>
              <dt>Received</dt>
              <dd>{absoluteTime(ev().receivedAt)}</dd>
              <For each={entityIds(ev())}>
                {(x) => (
                  <>
                    <dt>{x.label}</dt>
                    <dd class="mono">{x.value}</dd>
                  </>
                )}
              </For>
              <dt>Lineage</dt>
              <dd class="mono">{lineage(ev())}</dd>
              <Show when={pipelineStages(ev(), feedActions.arrivedAt(ev().id))}>
                {(stages) => (
                  <>
                    <dt>Pipeline</dt>
                    <dd class="mono" data-testid="pipeline" title="Time spent in each stage since the event's own time">
                      {stages()}
                    </dd>
                  </>
                )}
              </Show>
              <dt>Id</dt>
              <dd class="mono">{ev().id}</dd>
              <dt>Seq</dt>
              <dd class="mono">{ev().seq}</dd>
              <Show when={ev().source}>
                <dt>Source</dt>
                <dd>{ev().source}</dd>
              </Show>
              <Show when={ev().assignedTo}>
                <dt>Assigned to</dt>
                <dd>{ev().assignedTo}</dd>
              </Show>
              <Show when={ev().acknowledgedBy}>
                <dt>Acknowledged</dt>
                <dd>
                  {ev().acknowledgedBy}, {absoluteTime(ev().acknowledgedAt ?? '')}
                </dd>
              </Show>
              <Show when={ev().resolution}>
                <dt>Resolution</dt>
                <dd>{ev().resolution}</dd>
              </Show>
              <Show when={ev().coordinates}>
                <dt>Position</dt>
                <dd class="mono">
                  {ev().coordinates!.lat.toFixed(4)}, {ev().coordinates!.lon.toFixed(4)}
                </dd>
              </Show>
            </dl>
            <h3>History</h3>
            <Show
              when={history()}
              fallback={<p class="muted small">{history.loading ? 'Loading…' : 'No history available.'}</p>}
            >
              <Show when={history()!.length > 0} fallback={<p class="muted small">No changes yet.</p>}>
                <ol class="history" data-testid="history">
                  <For each={history()}>
                    {(h) => (
                      <li>
                        <b>{h.action}</b>
                        <Show when={h.toStatus}> → {STATUS_LABEL[h.toStatus!] ?? h.toStatus}</Show>{' '}
                        <span class="muted">
                          by {h.actor}, {absoluteTime(h.at)}
                        </span>
                        <Show when={h.note}>
                          <div class="note">{h.note}</div>
                        </Show>
                      </li>
                    )}
                  </For>
                </ol>
              </Show>
            </Show>
            <Show when={dcsaDocument(ev())}>
              {(doc) => (
                <details class="raw" open data-testid="dcsa-document">
                  <summary>DCSA TNT 2.2 document (as received)</summary>
                  <pre>{JSON.stringify(doc(), null, 2)}</pre>
                </details>
              )}
            </Show>
            <details class="raw">
              <summary>Raw JSON</summary>
              <pre>{JSON.stringify(ev(), null, 2)}</pre>
            </details>
          </div>
        )}
      </Show>
    </aside>
  );
}

/** The original DCSA document a mapped event keeps in `eventData.dcsa` (docs/dcsa.md), if any. */
function dcsaDocument(ev: { eventData: Record<string, unknown> }): Record<string, unknown> | undefined {
  const doc = ev.eventData?.dcsa;
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
}
