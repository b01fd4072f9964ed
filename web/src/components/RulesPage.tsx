/**
 * The Rules page (docs/rules.md): the rules with their state, pause/resume, delete, and each
 * rule's webhook deliveries with their attempts (a failed one can be replayed); and a form for a
 * new rule that can be tried against the last 24 hours before it is saved. The Worker validates
 * the document (its errors are shown as they come); loaded on demand like the create form.
 */
import { For, Show, createResource, createSignal } from 'solid-js';
import { createStore } from 'solid-js/store';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../protocol/enums.ts';
import type { Condition, RuleAction, RuleInput, RuleMatch, StepAction } from '../../../protocol/rules.ts';
import { ApiError, type Delivery } from '../lib/api.ts';
import { useApi, useToasts } from '../stores/context.tsx';

type Draft = {
  name: string;
  category: string;
  eventType: string;
  severities: Severity[];
  path: string;
  op: string;
  value: string;
  notifyUsers: string;
  notifyRoles: string;
  webhook: string;
  email: string;
  escalateMinutes: string;
  escalateTo: string;
  escalateRaise: boolean;
};

const EMPTY: Draft = {
  name: '',
  category: '',
  eventType: '',
  severities: [],
  path: '',
  op: 'gt',
  value: '',
  notifyUsers: '',
  notifyRoles: '',
  webhook: '',
  email: '',
  escalateMinutes: '',
  escalateTo: '',
  escalateRaise: false,
};

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** The form as a rule document (the Worker judges it; nothing here is validation). */
export function draftToRule(d: Draft): RuleInput {
  const match: RuleMatch = {};
  if (d.category) match.categories = [d.category as Category];
  if (d.eventType.trim()) match.eventTypes = [d.eventType.trim()];
  if (d.severities.length > 0) match.severities = [...d.severities];
  if (d.path.trim()) {
    const raw = d.value.trim();
    const n = Number(raw);
    const value = raw !== '' && Number.isFinite(n) ? n : raw;
    match.conditions = [{ path: d.path.trim(), op: d.op, value } as Condition];
  }
  const actions: RuleAction[] = [];
  const users = list(d.notifyUsers);
  const roles = list(d.notifyRoles);
  if (users.length > 0 || roles.length > 0)
    actions.push({ type: 'notify', ...(users.length ? { users } : {}), ...(roles.length ? { roles } : {}) });
  if (d.webhook.trim()) actions.push({ type: 'webhook', url: d.webhook.trim() });
  if (list(d.email).length > 0) actions.push({ type: 'email', to: list(d.email) });
  const steps: StepAction[] = [];
  if (list(d.escalateTo).length > 0) steps.push({ type: 'notify', users: list(d.escalateTo) });
  if (d.escalateRaise) steps.push({ type: 'raiseSeverity' });
  if (d.escalateMinutes.trim() && steps.length > 0)
    actions.push({ type: 'escalate', afterMinutes: Number(d.escalateMinutes), unless: 'acknowledged', steps });
  return { name: d.name, match, actions };
}

function explain(err: unknown): string {
  if (err instanceof ApiError) {
    const details = Array.isArray(err.details)
      ? (err.details as { path: string; message: string }[]).map((x) => `${x.path}: ${x.message}`).join('; ')
      : '';
    return details ? `${err.message}: ${details}` : err.message;
  }
  return String(err);
}

export default function RulesPage(props: { onClose: () => void }) {
  const api = useApi();
  const [, toasts] = useToasts();
  const [rules, { refetch }] = createResource(() => api.listRules());
  const [draft, setDraft] = createStore<Draft>({ ...EMPTY });
  const [tried, setTried] = createSignal<string>();
  const [error, setError] = createSignal<string>();
  const [shown, setShown] = createSignal<string>();
  const [deliveries, setDeliveries] = createSignal<Delivery[]>([]);

  async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
    setError(undefined);
    try {
      return await work();
    } catch (err) {
      setError(explain(err));
      return undefined;
    }
  }
  async function showDeliveries(id: string) {
    setShown(id);
    setDeliveries((await attempt(() => api.ruleDeliveries(id))) ?? []);
  }
  const field = (key: keyof Draft, label: string, testid: string, placeholder = '') => (
    <label>
      {label}
      <input
        value={draft[key] as string}
        placeholder={placeholder}
        data-testid={testid}
        onInput={(e) => setDraft(key, e.currentTarget.value)}
      />
    </label>
  );

  return (
    <div class="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <section class="modal rules-page" role="dialog" aria-modal="true" aria-label="Rules" data-testid="rules-page">
        <header class="rules-head">
          <h2>Rules</h2>
          <button type="button" class="link" onClick={() => props.onClose()}>
            Close
          </button>
        </header>
        <Show when={error()}>
          <p class="form-error" role="alert" data-testid="rule-error">
            {error()}
          </p>
        </Show>
        <ul class="rules-list" data-testid="rules-list">
          <For each={rules() ?? []} fallback={<li class="muted">No rules yet.</li>}>
            {(r) => (
              <li data-testid="rule-row">
                <strong>{r.name}</strong> <span class="muted">v{r.version}</span>
                <Show when={r.paused}>
                  <span class="badge">paused</span>
                </Show>
                <span class="spacer" />
                <button
                  type="button"
                  class="link"
                  onClick={async () => (await attempt(() => api.setRulePaused(r.id, !r.paused))) && refetch()}
                >
                  {r.paused ? 'Resume' : 'Pause'}
                </button>
                <button type="button" class="link" onClick={() => void showDeliveries(r.id)}>
                  Deliveries
                </button>
                <button
                  type="button"
                  class="link danger"
                  onClick={async () => {
                    await attempt(() => api.deleteRule(r.id));
                    void refetch();
                  }}
                >
                  Delete
                </button>
                <Show when={shown() === r.id}>
                  <table class="deliveries" data-testid="deliveries">
                    <tbody>
                      <For
                        each={deliveries()}
                        fallback={
                          <tr>
                            <td class="muted">No deliveries.</td>
                          </tr>
                        }
                      >
                        {(d) => (
                          <tr>
                            <td>{d.eventId}</td>
                            <td data-testid="delivery-state">{d.state}</td>
                            <td>
                              {d.attemptLog.length} attempt{d.attemptLog.length === 1 ? '' : 's'}
                              {d.lastStatus !== null ? `, last ${d.lastStatus}` : d.lastError ? `, ${d.lastError}` : ''}
                            </td>
                            <td>
                              <Show when={d.state === 'failed' || d.state === 'disabled'}>
                                <button
                                  type="button"
                                  class="link"
                                  onClick={async () => {
                                    if (await attempt(() => api.replayDelivery(d.id))) {
                                      toasts.push('info', 'Delivery queued again');
                                      void showDeliveries(r.id);
                                    }
                                  }}
                                >
                                  Replay
                                </button>
                              </Show>
                            </td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <form
          class="rule-form"
          onSubmit={async (e) => {
            e.preventDefault();
            const created = await attempt(() => api.createRule(draftToRule(draft)));
            if (created) {
              toasts.push('info', `Rule “${created.name}” saved`);
              setDraft({ ...EMPTY, severities: [] });
              setTried(undefined);
              void refetch();
            }
          }}
        >
          <h3>New rule</h3>
          {field('name', 'Name', 'rule-name', 'Reefer too warm')}
          <label>
            Room
            <select
              value={draft.category}
              data-testid="rule-category"
              onChange={(e) => setDraft('category', e.currentTarget.value)}
            >
              <option value="">any</option>
              <For each={CATEGORIES}>{(c) => <option value={c}>{c}</option>}</For>
            </select>
          </label>
          {field('eventType', 'Event type', 'rule-event-type', 'ReeferAlarm')}
          <fieldset>
            <legend>Severities (none = any)</legend>
            <For each={SEVERITIES}>
              {(s) => (
                <label class="inline">
                  <input
                    type="checkbox"
                    data-testid={`rule-severity-${s}`}
                    checked={draft.severities.includes(s)}
                    onChange={(e) =>
                      setDraft('severities', (l) => (e.currentTarget.checked ? [...l, s] : l.filter((x) => x !== s)))
                    }
                  />
                  {s}
                </label>
              )}
            </For>
          </fieldset>
          <fieldset class="condition">
            <legend>Condition (optional)</legend>
            {field('path', 'Field', 'rule-path', 'eventData.temperatureC')}
            <select value={draft.op} aria-label="Operator" onChange={(e) => setDraft('op', e.currentTarget.value)}>
              <For each={['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'startsWith', 'contains']}>
                {(o) => <option value={o}>{o}</option>}
              </For>
            </select>
            {field('value', 'Value', 'rule-value', '-15')}
          </fieldset>
          <fieldset>
            <legend>Actions</legend>
            {field('notifyUsers', 'Notify users', 'rule-notify-users', 'sub, sub')}
            {field('notifyRoles', 'Notify roles', 'rule-notify-roles', 'operator')}
            {field('webhook', 'Webhook URL', 'rule-webhook', 'https://…')}
            {field('email', 'Email to', 'rule-email', 'duty@port.example.com')}
            {field('escalateMinutes', 'Escalate if not acknowledged after (minutes)', 'rule-escalate-minutes', '15')}
            {field('escalateTo', '… to users', 'rule-escalate-to', 'duty-manager')}
            <label class="inline">
              <input
                type="checkbox"
                data-testid="rule-escalate-raise"
                checked={draft.escalateRaise}
                onChange={(e) => setDraft('escalateRaise', e.currentTarget.checked)}
              />
              … and raise its severity one level
            </label>
          </fieldset>
          <div class="actions">
            <button
              type="button"
              data-testid="rule-try"
              onClick={async () => {
                const r = await attempt(() => api.tryRule(draftToRule(draft)));
                if (r)
                  setTried(
                    `Would have fired ${r.fired} time${r.fired === 1 ? '' : 's'} in the last ${r.hours} h (${r.evaluated} events).`,
                  );
              }}
            >
              Try on the last 24 h
            </button>
            <button type="submit" class="primary" data-testid="rule-create">
              Save rule
            </button>
          </div>
          <Show when={tried()}>
            <p class="muted" data-testid="rule-tried">
              {tried()}
            </p>
          </Show>
        </form>
      </section>
    </div>
  );
}
