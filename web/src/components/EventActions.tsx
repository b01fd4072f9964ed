/**
 * Workflow buttons for one event: only those the signed-in role can use in the event's state.
 * Acknowledge, start, close, assign and read marks show at once and roll back on failure;
 * resolve (with its note), reopen and delete wait for the server.
 */
import { For, Match, Show, Switch, createSignal } from 'solid-js';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import type { WorkflowAction } from '../../../protocol/workflow.ts';
import { ApiError } from '../lib/api.ts';
import { ACTION_LABEL, availableActions, optimisticPatch, type EventAction } from '../lib/workflow.ts';
import { useApi, useFeed, useOutbox, useSession, useToasts } from '../stores/context.tsx';
import { FormButtons, InlineForm } from './InlineForm.tsx';

const describe = (err: unknown) =>
  err instanceof ApiError ? `${err.message}${err.status ? ` (${err.code})` : ''}` : (err as Error).message;

export function EventActions(props: { event: QuaycastEvent; onDeleted?: () => void }) {
  const [session] = useSession();
  const [, feed] = useFeed();
  const [, toast] = useToasts();
  const api = useApi();
  const [outbox, outboxActions] = useOutbox();
  const [busy, setBusy] = createSignal<EventAction>();
  const [form, setForm] = createSignal<'resolve' | 'assign' | 'delete'>();
  const [note, setNote] = createSignal('');
  const [assignee, setAssignee] = createSignal('');
  const [error, setError] = createSignal<string>();

  const me = () => session.claims?.sub ?? 'unknown';
  const actions = () => availableActions(props.event, session.claims?.role, feed.isRead(props.event));

  async function patch(action: WorkflowAction, extra: { assignee?: string; resolution?: string; note?: string } = {}) {
    const id = props.event.id;
    setError(undefined);
    setBusy(action);
    let rollback: (() => void) | undefined;
    if (action === 'markRead' || action === 'markUnread') {
      const before = feed.isRead(props.event);
      feed.setRead(id, action === 'markRead');
      rollback = () => feed.setRead(id, before);
    } else {
      // as the Worker will: the actor's display name when the token has one
      const name = session.claims?.name;
      const local = optimisticPatch(
        props.event,
        action,
        { sub: me(), ...(name ? { name } : {}) },
        Date.now(),
        extra.assignee,
      );
      if (local) rollback = feed.patchLocal(id, local);
    }
    try {
      // through the outbox (stores/outbox.ts): a stable action id, queued while offline
      const sent = await outboxActions.submit(props.event, { action, ...extra });
      if (typeof sent === 'object') {
        rollback?.();
        setError(`${ACTION_LABEL[action]} not applied: ${sent.message}`);
        return;
      }
      if (sent === 'queued') toast.push('info', `${ACTION_LABEL[action]} queued: it is sent when the network is back.`);
      setForm(undefined);
      setNote('');
    } catch (err) {
      rollback?.();
      const msg = `${ACTION_LABEL[action]} failed: ${describe(err)}`;
      setError(msg);
      toast.push('error', msg);
    } finally {
      setBusy(undefined);
    }
  }

  async function remove() {
    setBusy('delete');
    setError(undefined);
    try {
      await api.remove(props.event.id);
      feed.removeLocal(props.event.id);
      toast.push('info', 'Event deleted.');
      props.onDeleted?.();
    } catch (err) {
      const msg = `Delete failed: ${describe(err)}`;
      setError(msg);
      toast.push('error', msg);
    } finally {
      setBusy(undefined);
      setForm(undefined);
    }
  }

  const closeForm = () => setForm(undefined);

  function click(a: EventAction) {
    if (a === 'resolve' || a === 'assign' || a === 'delete') {
      setForm(form() === a ? undefined : a);
      if (a === 'assign') setAssignee(props.event.assignedTo ?? me());
      return;
    }
    void patch(a);
  }

  return (
    <Show when={actions().length > 0}>
      <Show when={outbox.pending().filter((a) => a.eventId === props.event.id)}>
        {(mine) => (
          <Show when={mine().length > 0}>
            <p class="pending-note" role="status" data-testid="pending-actions">
              Pending (offline):{' '}
              {mine()
                .map((a) => ACTION_LABEL[a.kind])
                .join(', ')}
            </p>
          </Show>
        )}
      </Show>
      <div class="actions" role="group" aria-label="Actions" data-testid="event-actions">
        <For each={actions()}>
          {(a) => (
            <button
              type="button"
              class={a === 'delete' ? 'danger' : a === 'resolve' ? 'primary' : ''}
              disabled={!!busy()}
              aria-expanded={a === 'resolve' || a === 'assign' || a === 'delete' ? form() === a : undefined}
              onClick={() => click(a)}
              data-action={a}
            >
              {busy() === a ? `${ACTION_LABEL[a]}…` : ACTION_LABEL[a]}
            </button>
          )}
        </For>
      </div>
      <Switch>
        <Match when={form() === 'resolve'}>
          <InlineForm
            label="Resolution note"
            for="resolution"
            onCancel={closeForm}
            onSubmit={() => {
              if (!note().trim()) return setError('A resolution note is required.');
              void patch('resolve', { resolution: note().trim(), note: note().trim() });
            }}
            control={
              <textarea
                id="resolution"
                rows="3"
                value={note()}
                onInput={(e) => setNote(e.currentTarget.value)}
                maxLength={4000}
                required
              />
            }
            buttons={
              <button type="submit" class="primary" disabled={!!busy()} data-testid="confirm-resolve">
                {busy() === 'resolve' ? 'Resolving…' : 'Resolve'}
              </button>
            }
          />
        </Match>
        <Match when={form() === 'assign'}>
          <InlineForm
            label="Assign to"
            for="assignee"
            onCancel={closeForm}
            onSubmit={() => {
              if (!assignee().trim()) return setError('Say who to assign it to.');
              void patch('assign', { assignee: assignee().trim() });
            }}
            control={
              <input
                id="assignee"
                value={assignee()}
                onInput={(e) => setAssignee(e.currentTarget.value)}
                maxLength={200}
              />
            }
            buttons={
              <>
                <button type="submit" class="primary" disabled={!!busy()}>
                  Assign
                </button>
                <button type="button" onClick={() => setAssignee(me())}>
                  Me
                </button>
              </>
            }
          />
        </Match>
        <Match when={form() === 'delete'}>
          <div class="inline-form confirm" role="alertdialog" aria-labelledby="del-q">
            <p id="del-q">Delete this event for everyone? Dashboards receive a tombstone; it cannot be undone here.</p>
            <FormButtons onCancel={closeForm}>
              <button
                type="button"
                class="danger"
                onClick={() => void remove()}
                disabled={!!busy()}
                data-testid="confirm-delete"
              >
                {busy() === 'delete' ? 'Deleting…' : 'Delete'}
              </button>
            </FormButtons>
          </div>
        </Match>
      </Switch>
      <Show when={error()}>
        <p class="field-error" role="alert">
          {error()}
        </p>
      </Show>
    </Show>
  );
}
