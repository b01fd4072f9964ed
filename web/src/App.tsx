/** The control room: header, what is watched and what it adds up to, the feed, the detail. */
import { Show, Suspense, createEffect, createMemo, createSignal, lazy, onCleanup, onMount } from 'solid-js';
import { unwrap } from 'solid-js/store';
import { can } from './lib/auth.ts';
import { makePredicate } from './lib/filters.ts';
import { Bell } from './components/Bell.tsx';
import { DetailPanel } from './components/DetailPanel.tsx';
import { Feed } from './components/Feed.tsx';
import { FindBar } from './components/FindBar.tsx';
import { Icon } from './components/Icons.tsx';
import { Insights } from './components/Insights.tsx';
import { OfflineBanner } from './components/OfflineBanner.tsx';
import { SignIn } from './components/SignIn.tsx';
import { StatusIndicator } from './components/StatusIndicator.tsx';
import { SubscriptionPanel } from './components/SubscriptionPanel.tsx';
import { Toasts } from './components/Toasts.tsx';
import { AppProvider, useFeed, useFind, useNow, useOutbox, usePreferences, useSession } from './stores/context.tsx';
import type { Theme } from './stores/preferences.ts';

const CreateEventForm = lazy(() => import('./components/CreateEventForm.tsx'));
const RulesPage = lazy(() => import('./components/RulesPage.tsx'));
const DeadLettersPage = lazy(() => import('./components/DeadLettersPage.tsx'));
const InsightPage = lazy(() => import('./components/InsightPage.tsx'));

export function App(props: { token: string | undefined }) {
  return (
    <AppProvider token={props.token}>
      <ThemeRoot />
      <Shell />
      <Toasts />
    </AppProvider>
  );
}

/** Applies the chosen theme (or the system's) to <html data-theme>. */
function ThemeRoot() {
  const [prefs] = usePreferences();
  const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
  const [systemDark, setSystemDark] = createSignal(media?.matches ?? false);
  const listener = (e: MediaQueryListEvent) => setSystemDark(e.matches);
  media?.addEventListener('change', listener);
  onCleanup(() => media?.removeEventListener('change', listener));
  createEffect(() => {
    const resolved = prefs.theme === 'system' ? (systemDark() ? 'dark' : 'light') : prefs.theme;
    document.documentElement.dataset.theme = resolved;
  });
  return null;
}

/**
 * Signed in: the dashboard. When the token expires (a room said so) the sign-in form opens over
 * it as a dialog and the dashboard stays mounted underneath — rooms watched, filters, the
 * selected event and the feed's scroll are still there after the new sign-in.
 */
export function Shell() {
  const [session] = useSession();
  return (
    <Show when={session.token} fallback={<SignIn />}>
      <Dashboard />
      <Show when={session.expired}>
        <SignIn again />
      </Show>
    </Show>
  );
}

const NEXT_THEME: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

function Dashboard() {
  const [session, sessionActions] = useSession();
  const [prefs, prefsActions] = usePreferences();
  const [feed, feedActions] = useFeed();
  const [find] = useFind();
  const [outbox] = useOutbox();
  const now = useNow();
  const [selected, setSelected] = createSignal<string>();
  const [creating, setCreating] = createSignal(false);
  const [rulesOpen, setRulesOpen] = createSignal(false);
  const [lettersOpen, setLettersOpen] = createSignal(false);
  const [insightOpen, setInsightOpen] = createSignal(false);
  const [help, setHelp] = createSignal(false);
  /** Phones and tablets (≤ 1024 px, docs/mobile.md): Watching and the overview live in a drawer. */
  const [drawer, setDrawer] = createSignal(false);
  let search: HTMLInputElement | undefined;
  let lastRow: HTMLElement | null = null;

  const minute = createMemo(() => Math.floor(now() / 60_000));
  const ids = createMemo(() => {
    void feed.version;
    const raw = unwrap(feed.byId);
    const pred = makePredicate(find, prefs.subscription, {
      now: minute() * 60_000 + 59_999,
      me: session.claims?.sub,
      isRead: feedActions.isRead,
    });
    return feed.order.filter((id) => {
      const e = raw[id];
      return e !== undefined && pred(e);
    });
  });

  /** A page opened from the drawer's menu closes the drawer. */
  function fromDrawer(openPage: (v: boolean) => void) {
    setDrawer(false);
    openPage(true);
  }

  /**
   * The pages a role may open (Insight; Rules for workflow roles; Dead letters for admins): one
   * list for the top bar and the drawer's menu, which differ only in how a page is opened.
   */
  function PageLinks(props: {
    open: (setPage: (v: boolean) => void) => void;
    buttonClass?: string;
    testIds?: boolean;
  }) {
    const link = (page: (v: boolean) => void, label: string, testId: string) => (
      <button
        type="button"
        class={props.buttonClass}
        data-testid={props.testIds ? testId : undefined}
        onClick={() => props.open(page)}
      >
        {label}
      </button>
    );
    return (
      <>
        {link(setInsightOpen, 'Insight', 'open-insight')}
        <Show when={can(session.claims?.role, 'workflow')}>{link(setRulesOpen, 'Rules', 'open-rules')}</Show>
        <Show when={can(session.claims?.role, 'delete')}>
          {link(setLettersOpen, 'Dead letters', 'open-dead-letters')}
        </Show>
      </>
    );
  }

  // A push notification's click opens `/?event=<id>&category=<room>` (docs/push.md): show that event.
  onMount(() => {
    const params = new URLSearchParams(window.location.search);
    const fromPush = params.get('event');
    if (!fromPush) return;
    setSelected(fromPush.slice(0, 600));
    params.delete('event');
    params.delete('category');
    const rest = params.toString();
    window.history.replaceState(
      null,
      '',
      `${window.location.pathname}${rest ? `?${rest}` : ''}${window.location.hash}`,
    );
  });

  function open(id: string) {
    lastRow = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setSelected(id);
  }
  function closeDetail() {
    setSelected(undefined);
    lastRow?.focus({ preventScroll: true });
  }

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    const typing = t.closest('input, textarea, select, [contenteditable]') !== null;
    if (e.key === 'Escape') {
      if (creating()) setCreating(false);
      else if (rulesOpen()) setRulesOpen(false);
      else if (lettersOpen()) setLettersOpen(false);
      else if (insightOpen()) setInsightOpen(false);
      else if (help()) setHelp(false);
      else if (drawer()) setDrawer(false);
      else if (selected()) closeDetail();
      return;
    }
    if (typing || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === '/') {
      e.preventDefault();
      search?.focus();
    } else if (e.key === 'c' && can(session.claims?.role, 'create')) {
      e.preventDefault();
      setCreating(true);
    } else if (e.key === '?') {
      setHelp((v) => !v);
    } else if ((e.key === 'j' || e.key === 'k') && !t.closest('.feed-scroll')) {
      // j/k anywhere start in the feed
      e.preventDefault();
      document.querySelector<HTMLElement>('.feed')?.focus();
    }
  };
  document.addEventListener('keydown', onKey);
  onCleanup(() => document.removeEventListener('keydown', onKey));

  return (
    <div class="app" classList={{ 'with-detail': !!selected(), 'drawer-open': drawer() }}>
      <a class="skip" href="#feed-region">
        Skip to the feed
      </a>
      <header class="topbar">
        <div class="brand">
          <Icon name="bolt" />
          <span>Quaycast</span>
        </div>
        <StatusIndicator />
        <Show when={outbox.pending().length > 0}>
          <span class="pending-count" role="status" data-testid="pending-count" title="Actions waiting to be sent">
            {outbox.pending().length} pending
          </span>
        </Show>
        <div class="spacer" />
        <button
          type="button"
          class="link drawer-toggle"
          data-testid="open-drawer"
          aria-controls="sidebar"
          aria-expanded={drawer()}
          onClick={() => setDrawer((v) => !v)}
        >
          Menu
        </button>
        <div class="topnav">
          <PageLinks open={(page) => page(true)} buttonClass="link" testIds />
        </div>
        <Bell onOpenEvent={open} />
        <button
          type="button"
          class="icon-btn help-toggle"
          aria-label="Keyboard shortcuts"
          data-testid="help-toggle"
          aria-expanded={help()}
          onClick={() => setHelp((v) => !v)}
        >
          ?
        </button>
        <button
          type="button"
          class="icon-btn"
          onClick={() => prefsActions.setTheme(NEXT_THEME[prefs.theme])}
          aria-label={`Theme: ${prefs.theme}. Switch to ${NEXT_THEME[prefs.theme]}`}
          title={`Theme: ${prefs.theme}`}
          data-testid="theme-toggle"
        >
          <Icon name={prefs.theme === 'light' ? 'sun' : prefs.theme === 'dark' ? 'moon' : 'auto'} />
        </button>
        <div class="user" data-testid="user">
          <span class="user-name">{session.claims?.name ?? session.claims?.sub}</span>
          <span class="role">{session.claims?.role}</span>
        </div>
        <button type="button" class="link topnav" onClick={() => sessionActions.signOut()}>
          Sign out
        </button>
      </header>
      <Show when={help()}>
        <section class="help card" aria-label="Keyboard shortcuts">
          <h2>Keyboard</h2>
          <dl class="kv">
            <dt>
              <kbd>j</kbd> <kbd>k</kbd> / <kbd>↓</kbd> <kbd>↑</kbd>
            </dt>
            <dd>next / previous event</dd>
            <dt>
              <kbd>Enter</kbd>
            </dt>
            <dd>open the event</dd>
            <dt>
              <kbd>Esc</kbd>
            </dt>
            <dd>close the detail or a dialog</dd>
            <dt>
              <kbd>g</kbd> / <kbd>Home</kbd>
            </dt>
            <dd>newest event</dd>
            <dt>
              <kbd>/</kbd>
            </dt>
            <dd>search</dd>
            <dt>
              <kbd>c</kbd>
            </dt>
            <dd>new event (producers and up)</dd>
            <dt>
              <kbd>?</kbd>
            </dt>
            <dd>this help</dd>
          </dl>
        </section>
      </Show>
      <Show when={drawer()}>
        <div class="drawer-backdrop" aria-hidden="true" onClick={() => setDrawer(false)} />
      </Show>
      <aside id="sidebar" class="sidebar" aria-label="Subscriptions and overview" data-testid="sidebar">
        <button
          type="button"
          class="link drawer-close"
          data-testid="close-drawer"
          aria-label="Close Watching and overview"
          onClick={() => setDrawer(false)}
        >
          <Icon name="close" /> Close
        </button>
        <nav class="drawer-nav" aria-label="Pages">
          <PageLinks open={fromDrawer} />
          <button type="button" onClick={() => sessionActions.signOut()}>
            Sign out
          </button>
        </nav>
        <SubscriptionPanel />
        <Insights />
      </aside>
      <main class="main" id="main">
        <FindBar shown={ids().length} onCreate={() => setCreating(true)} searchRef={(el) => (search = el)} />
        <OfflineBanner pending={outbox.pending().length} />
        <section id="feed-region" class="feed-region" aria-label="Live events">
          <Feed ids={ids()} selectedId={selected()} onOpen={open} label="Live events, newest first" />
        </section>
      </main>
      <Show when={selected()}>{(id) => <DetailPanel id={id()} onClose={closeDetail} />}</Show>
      <Show when={creating()}>
        <Suspense fallback={<div class="modal-backdrop" aria-busy="true" />}>
          <CreateEventForm onClose={() => setCreating(false)} />
        </Suspense>
      </Show>
      <Show when={rulesOpen()}>
        <Suspense fallback={<div class="modal-backdrop" aria-busy="true" />}>
          <RulesPage onClose={() => setRulesOpen(false)} />
        </Suspense>
      </Show>
      <Show when={lettersOpen()}>
        <Suspense fallback={<div class="modal-backdrop" aria-busy="true" />}>
          <DeadLettersPage onClose={() => setLettersOpen(false)} />
        </Suspense>
      </Show>
      <Show when={insightOpen()}>
        <Suspense fallback={<div class="modal-backdrop" aria-busy="true" />}>
          <InsightPage onClose={() => setInsightOpen(false)} />
        </Suspense>
      </Show>
    </div>
  );
}
