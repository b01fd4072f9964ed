/** The "Find" filter of the feed (quick filters, text, time range); not persisted on purpose. */
import { createStore } from 'solid-js/store';
import { EMPTY_FILTER, type FindFilter, type QuickFilter } from '../lib/filters.ts';

export type FindActions = {
  toggleQuick(k: QuickFilter): void;
  setText(q: string): void;
  setRange(from: string, to: string): void;
  reset(): void;
};

export function createFindStore(): [FindFilter, FindActions] {
  const [state, setState] = createStore<FindFilter>(structuredClone(EMPTY_FILTER));
  return [
    state,
    {
      toggleQuick: (k) => setState('quick', k, (v) => !v),
      setText: (q) => setState('q', q),
      setRange: (from, to) => setState({ from, to }),
      reset: () => setState(structuredClone(EMPTY_FILTER)),
    },
  ];
}
