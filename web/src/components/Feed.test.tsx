import { render, fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { useFeed } from '../stores/context.tsx';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { renderApp } from '../test/helpers.tsx';
import { Feed } from './Feed.tsx';

describe('web > Feed', () => {
  it('renders the events as a feed of articles with severity, lineage, ids and the action badge', () => {
    const events = [
      sampleEvent(),
      sampleEvent({
        id: 'evt-2',
        seq: 11,
        severity: 'Low',
        requiresAction: false,
        origin: { kind: 'api' },
        title: 'Gate-in',
      }),
    ];
    renderApp(() => <Feed ids={['evt-2', 'evt-1']} selectedId={undefined} onOpen={() => {}} label="Live events" />, {
      events,
    });
    const feed = screen.getByRole('feed', { name: 'Live events' });
    const rows = feed.querySelectorAll('[role="article"], article');
    expect(rows).toHaveLength(2);
    expect(rows[1]!.textContent).toContain('High');
    expect(rows[1]!.textContent).toContain('container-events/1@42');
    expect(rows[1]!.textContent).toContain('MSCU1234567');
    expect(rows[1]!.textContent).toContain('Action required');
    expect(rows[0]!.textContent).toContain('API');
    expect(rows[0]!.getAttribute('aria-posinset')).toBe('1');
    expect(rows[0]!.getAttribute('aria-setsize')).toBe('2');
  });

  it('moves with j/k and opens with Enter', async () => {
    const onOpen = vi.fn();
    const events = [sampleEvent(), sampleEvent({ id: 'evt-2', seq: 11 })];
    renderApp(() => <Feed ids={['evt-2', 'evt-1']} selectedId={undefined} onOpen={onOpen} label="Live events" />, {
      events,
    });
    const scroller = screen.getByRole('feed').parentElement!;
    fireEvent.keyDown(scroller, { key: 'j' });
    fireEvent.keyDown(scroller, { key: 'j' });
    fireEvent.keyDown(scroller, { key: 'Enter' });
    expect(onOpen).toHaveBeenLastCalledWith('evt-1');
    fireEvent.keyDown(scroller, { key: 'k' });
    fireEvent.keyDown(scroller, { key: 'Enter' });
    expect(onOpen).toHaveBeenLastCalledWith('evt-2');
    await waitFor(() =>
      expect(screen.getByRole('feed').querySelector('[tabindex="0"]')?.getAttribute('data-id')).toBe('evt-2'),
    );
  });

  it('renders only a window of a long list', () => {
    const events = Array.from({ length: 2000 }, (_, i) => sampleEvent({ id: `e${i}`, seq: i + 1 }));
    renderApp(
      () => <Feed ids={events.map((e) => e.id)} selectedId={undefined} onOpen={() => {}} label="Live events" />,
      { events },
    );
    const feed = screen.getByRole('feed');
    expect(feed.querySelectorAll('article').length).toBeLessThan(40);
    expect(feed.style.height).toBe(`${2000 * 64}px`);
  });
});

describe('web > stores', () => {
  it('useX() throws outside the provider', () => {
    function Orphan() {
      useFeed();
      return null;
    }
    expect(() => render(() => <Orphan />)).toThrow(/outside <AppProvider>/);
  });
});
