/**
 * The SLA targets (GET /api/sla), read once per sign-in and replaced by what an admin saves.
 * Until they are read (or when the route fails) no countdown is shown: no guessed targets.
 */
import { batch, createEffect, on } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { Api } from '../lib/api.ts';
import type { SlaDocument } from '../lib/sla.ts';

export type SlaStoreState = { doc: SlaDocument | undefined; error: string | undefined };
export type SlaActions = {
  /** Reads the document again. */
  refresh(): Promise<void>;
  /** PUT /api/sla (admins); the stored document replaces the held one. Throws the API's error. */
  save(doc: Pick<SlaDocument, 'targets' | 'timeZone' | 'shifts'>): Promise<SlaDocument>;
};

export function createSlaStore(api: Api, token: () => string | undefined): [SlaStoreState, SlaActions] {
  const [state, setState] = createStore<SlaStoreState>({ doc: undefined, error: undefined });
  let generation = 0;
  const actions: SlaActions = {
    async refresh() {
      const mine = ++generation;
      try {
        const doc = await api.getSla();
        if (mine !== generation) return;
        batch(() => {
          setState('doc', reconcile(doc));
          setState('error', undefined);
        });
      } catch (err) {
        if (mine === generation) setState('error', (err as Error).message);
      }
    },
    async save(doc) {
      const stored = await api.putSla(doc);
      generation++; // a read still in flight must not bring back the old targets
      setState({ doc: stored, error: undefined });
      return stored;
    },
  };
  createEffect(
    on(token, (t) => {
      if (t) void actions.refresh();
      else setState({ doc: undefined, error: undefined });
    }),
  );
  return [state, actions];
}
