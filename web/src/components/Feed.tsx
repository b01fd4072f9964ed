/**
 * The live feed, windowed: only the rows in view (plus a margin) exist in the DOM, positioned in
 * a spacer as tall as the whole list. While the operator is scrolled away from the top, new
 * events do not move what they are reading: the view stays anchored and "N new" offers the jump.
 */
import { Index, Show, createEffect, createMemo, createSignal, on, onCleanup, onMount } from 'solid-js';
import { EventRow, ROW_HEIGHT } from './EventRow.tsx';

const OVERSCAN = 6;

export function Feed(props: {
  ids: string[];
  selectedId: string | undefined;
  onOpen: (id: string) => void;
  label: string;
}) {
  let scroller!: HTMLDivElement;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(640);
  const [activeId, setActiveId] = createSignal<string>();
  /** The newest id when the operator left the top; its index is the count of newer arrivals. */
  const [topWhenLeft, setTopWhenLeft] = createSignal<string>();
  let anchor: { id: string; offset: number } | undefined;

  const atTop = () => scrollTop() < ROW_HEIGHT / 2;
  const start = createMemo(() => Math.max(0, Math.floor(scrollTop() / ROW_HEIGHT) - OVERSCAN));
  const end = createMemo(() => Math.min(props.ids.length, Math.ceil((scrollTop() + height()) / ROW_HEIGHT) + OVERSCAN));
  const visible = createMemo(() => props.ids.slice(start(), end()));
  const newCount = createMemo(() => {
    const id = topWhenLeft();
    if (!id) return 0;
    return Math.max(0, props.ids.indexOf(id));
  });
  const activeIndex = createMemo(() => {
    const id = activeId();
    const i = id ? props.ids.indexOf(id) : -1;
    return i;
  });

  function onScroll() {
    const top = scroller.scrollTop;
    setScrollTop(top);
    if (top < ROW_HEIGHT / 2) {
      setTopWhenLeft(undefined);
      anchor = undefined;
      return;
    }
    if (!topWhenLeft()) setTopWhenLeft(props.ids[0]);
    const first = Math.floor(top / ROW_HEIGHT);
    const id = props.ids[first];
    anchor = id ? { id, offset: top - first * ROW_HEIGHT } : undefined;
  }

  // Keep the rows being read in place when newer ones arrive above them.
  createEffect(
    on(
      () => props.ids,
      (ids) => {
        if (!anchor || atTop()) return;
        const i = ids.indexOf(anchor.id);
        if (i < 0) return;
        const target = i * ROW_HEIGHT + anchor.offset;
        if (Math.abs(target - scroller.scrollTop) >= 1) {
          scroller.scrollTop = target;
          setScrollTop(target);
        }
      },
      { defer: true },
    ),
  );

  onMount(() => {
    if (typeof ResizeObserver !== 'undefined') {
      const ro = new ResizeObserver(() => setHeight(scroller.clientHeight || 640));
      ro.observe(scroller);
      onCleanup(() => ro.disconnect());
    }
    setHeight(scroller.clientHeight || 640);
  });

  function jumpToTop() {
    scroller.scrollTop = 0;
    onScroll();
    focusIndex(0);
  }

  function focusIndex(i: number) {
    const id = props.ids[i];
    if (id === undefined) return;
    setActiveId(id);
    const top = i * ROW_HEIGHT;
    if (top < scroller.scrollTop) scroller.scrollTop = top;
    else if (top + ROW_HEIGHT > scroller.scrollTop + scroller.clientHeight)
      scroller.scrollTop = top + ROW_HEIGHT - scroller.clientHeight;
    onScroll();
    // the row exists once the window has moved: focus it on the next frame
    requestAnimationFrame(() =>
      scroller.querySelector<HTMLElement>(`[data-index="${i}"]`)?.focus({ preventScroll: true }),
    );
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const i = activeIndex();
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        focusIndex(Math.min(props.ids.length - 1, i + 1));
        break;
      case 'k':
      case 'ArrowUp':
        focusIndex(Math.max(0, i - 1));
        break;
      case 'Home':
      case 'g':
        jumpToTop();
        break;
      case 'End':
        focusIndex(props.ids.length - 1);
        break;
      case 'PageDown':
        focusIndex(Math.min(props.ids.length - 1, Math.max(0, i) + Math.floor(height() / ROW_HEIGHT)));
        break;
      case 'PageUp':
        focusIndex(Math.max(0, i - Math.floor(height() / ROW_HEIGHT)));
        break;
      case 'Enter':
      case 'o': {
        const id = activeId();
        if (id) props.onOpen(id);
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }

  return (
    <div class="feed-wrap">
      <Show when={newCount() > 0}>
        <button type="button" class="new-pill" onClick={jumpToTop} data-testid="new-events">
          ↑ {newCount()} new
        </button>
      </Show>
      <div class="feed-scroll" ref={scroller} onScroll={onScroll} onKeyDown={onKeyDown}>
        <div
          class="feed"
          role="feed"
          aria-label={props.label}
          aria-busy="false"
          data-testid="feed"
          style={{ height: `${props.ids.length * ROW_HEIGHT}px` }}
          // a feed needs one tab stop even before a row was chosen
          tabindex={activeIndex() < 0 ? 0 : -1}
          onFocus={(e) => {
            if (e.target === e.currentTarget && props.ids.length > 0)
              focusIndex(Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT)));
          }}
        >
          <Index each={visible()}>
            {(id, i) => (
              <EventRow
                id={id()}
                index={start() + i}
                setSize={props.ids.length}
                active={activeId() === id()}
                selected={props.selectedId === id()}
                onOpen={(x) => {
                  setActiveId(x);
                  props.onOpen(x);
                }}
                onFocusRow={setActiveId}
              />
            )}
          </Index>
        </div>
        <Show when={props.ids.length === 0}>
          <p class="empty">No events match. Events appear here as the watched rooms receive them.</p>
        </Show>
      </div>
    </div>
  );
}
