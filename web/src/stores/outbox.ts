/**
 * The offline action queue (docs/mobile.md). A workflow action (acknowledge, assign, resolve, mark
 * read, …) gets a stable action id when the user takes it; sent at once when online, it is kept in
 * IndexedDB (lib/offline-db.ts) and shown as pending when the network is gone, and sent, in the
 * order taken, on reconnect (the `online` event, a room going live, the next start). The Worker
 * applies each action id once, so a send that is retried after a lost answer changes nothing.
 * A conflict (409: someone else moved the event meanwhile, e.g. resolved it) is kept in
 * `conflicts` and told to the user, never dropped silently.
 */
import { createSignal, onCleanup } from 'solid-js';
import type { QuaycastEvent } from '../../../protocol/event.ts';
import { ApiError, type Api, type PatchBody } from '../lib/api.ts';
import { type QueuedAction, offlineDb } from '../lib/offline-db.ts';
import type { FeedActions } from './feed.ts';

export type Conflict = { action: QueuedAction; message: string; status?: string };

export type OutboxState = {
  /** Actions taken and not yet confirmed by the Worker, oldest first. */
  pending: () => QueuedAction[];
  conflicts: () => Conflict[];
};
export type OutboxActions = {
  /** Takes an action: sends it, or queues it when the network is gone. Resolves once sent, queued or refused. */
  submit(event: QuaycastEvent, body: PatchBody): Promise<'sent' | 'queued' | Conflict>;
  /** Sends what is queued (on reconnect). */
  flush(): Promise<void>;
  dismissConflict(actionId: string): void;
  isPending(eventId: string): boolean;
};

/** How often queued actions are retried while online (besides the `online` event and rooms going live). */
export const RETRY_MS = 3000;

const offlineNow = () => typeof navigator !== 'undefined' && navigator.onLine === false;
const newId = () =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

export function createOutboxStore(deps: {
  api: Api;
  feed: FeedActions;
  enabled: boolean;
  /** The signed-in user (token `sub`): only their queued actions are loaded (offlineDb.claim). */
  user?: () => string | undefined;
  onConflict?: (c: Conflict) => void;
}): [OutboxState, OutboxActions] {
  const [pending, setPending] = createSignal<QueuedAction[]>([]);
  const [conflicts, setConflicts] = createSignal<Conflict[]>([]);
  let flushing: Promise<void> | undefined;

  /** One send; true when settled (applied, replayed or a conflict), false to keep it for later. */
  async function send(a: QueuedAction): Promise<boolean> {
    try {
      const updated = await deps.api.patch(a.eventId, { ...(a.body as PatchBody), actionId: a.actionId });
      if (updated && typeof updated === 'object' && 'seq' in updated) deps.feed.snapshot([updated]);
      return true;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 0 || err.status >= 500 || err.status === 429)) return false;
      if (err instanceof ApiError && err.code === 'action_in_progress') return false;
      const status = (err as ApiError).details as { status?: string } | undefined;
      const c: Conflict = {
        action: a,
        message: (err as Error).message,
        ...(status?.status ? { status: status.status } : {}),
      };
      setConflicts((l) => [...l, c]);
      deps.onConflict?.(c);
      return true;
    }
  }

  async function settle(a: QueuedAction): Promise<void> {
    setPending((l) => l.filter((x) => x.actionId !== a.actionId));
    if (deps.enabled) await offlineDb.deleteAction(a.actionId);
  }

  const actions: OutboxActions = {
    async submit(event, body) {
      const a: QueuedAction = {
        actionId: newId(),
        eventId: event.id,
        kind: body.action,
        body: { ...body },
        seq: event.seq,
        queuedAt: Date.now(),
      };
      setPending((l) => [...l, a]);
      const me = deps.user?.();
      if (deps.enabled && me) await offlineDb.claim(me).then(() => offlineDb.putAction(a));
      if (offlineNow()) return 'queued';
      await actions.flush(); // in order: whatever was queued before goes first
      if (pending().some((x) => x.actionId === a.actionId)) return 'queued';
      return conflicts().find((c) => c.action.actionId === a.actionId) ?? 'sent';
    },
    flush() {
      if (flushing) return flushing;
      const run = async () => {
        // always the oldest still pending, so actions taken during a flush are sent by it too
        for (let a = pending()[0]; a; a = pending()[0]) {
          if (offlineNow() || !(await send(a))) break; // kept, tried again later
          await settle(a);
        }
      };
      // assigned before it can finish (an empty queue finishes synchronously), cleared after
      const p = Promise.resolve()
        .then(run)
        .finally(() => {
          if (flushing === p) flushing = undefined;
        });
      flushing = p;
      return p;
    },
    dismissConflict(actionId) {
      setConflicts((l) => l.filter((c) => c.action.actionId !== actionId));
    },
    isPending: (eventId) => pending().some((a) => a.eventId === eventId),
  };

  const sub = deps.user?.();
  if (deps.enabled && sub) {
    void (async () => {
      await offlineDb.claim(sub);
      return offlineDb.queuedActions();
    })().then((stored) => {
      const known = new Set(pending().map((a) => a.actionId));
      setPending((l) => [...stored.filter((a) => !known.has(a.actionId)), ...l]);
      void actions.flush();
    });
  }
  const onOnline = () => void actions.flush();
  if (typeof window !== 'undefined') window.addEventListener('online', onOnline);
  // the `online` event can come before the network really carries: retry while anything waits
  const retry = setInterval(() => {
    if (pending().length > 0 && !offlineNow()) void actions.flush();
  }, RETRY_MS);
  onCleanup(() => {
    clearInterval(retry);
    if (typeof window !== 'undefined') window.removeEventListener('online', onOnline);
  });
  return [{ pending, conflicts }, actions];
}
