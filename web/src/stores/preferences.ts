/** What the operator chose to watch and how the screen looks; kept in localStorage. */
import { createEffect } from 'solid-js';
import { createStore } from 'solid-js/store';
import { CATEGORIES, SEVERITIES, type Category, type Severity } from '../../../protocol/enums.ts';
import type { Subscription } from '../lib/filters.ts';

export type Theme = 'system' | 'light' | 'dark';
export type PreferencesState = { subscription: Subscription; theme: Theme };
export type PreferencesActions = {
  toggleCategory(c: Category): void;
  toggleSeverity(s: Severity): void;
  setTheme(t: Theme): void;
};

export const PREFS_KEY = 'quaycast.preferences';

function load(storage: Storage | undefined): PreferencesState {
  const fallback: PreferencesState = {
    subscription: { categories: [...CATEGORIES], severities: [...SEVERITIES] },
    theme: 'system',
  };
  try {
    const raw = storage?.getItem(PREFS_KEY);
    if (!raw) return fallback;
    const p = JSON.parse(raw) as Partial<{ subscription: Partial<Subscription>; theme: string }>;
    const cats = (p.subscription?.categories ?? []).filter((c): c is Category =>
      (CATEGORIES as readonly string[]).includes(c),
    );
    const sevs = (p.subscription?.severities ?? []).filter((s): s is Severity =>
      (SEVERITIES as readonly string[]).includes(s),
    );
    return {
      subscription: {
        categories: p.subscription?.categories ? cats : fallback.subscription.categories,
        severities: p.subscription?.severities ? sevs : fallback.subscription.severities,
      },
      theme: p.theme === 'light' || p.theme === 'dark' ? p.theme : 'system',
    };
  } catch {
    return fallback; // unreadable preferences: start from the defaults
  }
}

/** Keeps the canonical order of the vocabularies whatever the click order. */
const toggle = <T extends string>(all: readonly T[], list: T[], v: T): T[] =>
  all.filter((x) => (x === v ? !list.includes(v) : list.includes(x)));

export function createPreferencesStore(
  storage: Storage | undefined = globalThis.localStorage,
): [PreferencesState, PreferencesActions] {
  const [state, setState] = createStore<PreferencesState>(load(storage));
  createEffect(() => {
    const snapshot = JSON.stringify({
      subscription: { categories: [...state.subscription.categories], severities: [...state.subscription.severities] },
      theme: state.theme,
    });
    try {
      storage?.setItem(PREFS_KEY, snapshot);
    } catch {
      // storage full or disabled: preferences last for this tab only
    }
  });
  return [
    state,
    {
      toggleCategory: (c) => setState('subscription', 'categories', (list) => toggle(CATEGORIES, list, c)),
      toggleSeverity: (s) => setState('subscription', 'severities', (list) => toggle(SEVERITIES, list, s)),
      setTheme: (t) => setState('theme', t),
    },
  ];
}
