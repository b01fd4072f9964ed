import { render, fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { useFeed } from '../stores/context.tsx';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { fakeApi, renderApp } from '../test/helpers.tsx';
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

describe('web > Feed > SLA countdowns', () => {
  const sla = {
    targets: [{ severity: 'High', category: null, ackMinutes: 10, resolveMinutes: 60 }],
    timeZone: 'Europe/Amsterdam',
    shifts: [],
    updatedAt: null,
    updatedBy: null,
  };
  const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString();

  it('shows each open event its time left in words, amber under a quarter, red once breached', async () => {
    const events = [
      sampleEvent({ id: 'ok', seq: 1, severity: 'High', status: 'New', receivedAt: ago(1) }),
      sampleEvent({ id: 'soon', seq: 2, severity: 'High', status: 'New', receivedAt: ago(8) }),
      sampleEvent({ id: 'late', seq: 3, severity: 'High', status: 'New', receivedAt: ago(13) }),
      sampleEvent({ id: 'working', seq: 4, severity: 'High', status: 'InProgress', receivedAt: ago(13) }),
      sampleEvent({ id: 'done', seq: 5, severity: 'High', status: 'Resolved', receivedAt: ago(13) }),
    ];
    const api = fakeApi({ getSla: vi.fn(async () => sla) });
    renderApp(
      () => <Feed ids={events.map((e) => e.id)} selectedId={undefined} onOpen={() => {}} label="Live events" />,
      { events, api },
    );
    const badge = (id: string) => screen.getByRole('feed').querySelector(`[data-id="${id}"] [data-testid="sla"]`);
    await waitFor(() => expect(badge('ok')).not.toBeNull());
    expect(badge('ok')!.getAttribute('data-state')).toBe('ok');
    expect(badge('ok')!.textContent).toMatch(/Ack in [89] min/);
    expect(badge('soon')!.getAttribute('data-state')).toBe('warning');
    // The dashboard's clock (useNow) may have ticked before or after the fixture's Date.now(): ±1 min.
    expect(badge('soon')!.textContent).toMatch(/Ack due soon: [12] min/);
    expect(badge('late')!.getAttribute('data-state')).toBe('breached');
    expect(badge('late')!.textContent).toMatch(/Ack breached [23] min ago/);
    expect(badge('working')!.textContent).toMatch(/Resolve in 4[67] min/);
    expect(badge('done')).toBeNull();
    expect(api.getSla).toHaveBeenCalledTimes(1);
  });

  it('shows no countdown, and nothing breaks, when GET /api/sla fails', () => {
    const events = [sampleEvent({ id: 'x', seq: 1, status: 'New' })];
    renderApp(() => <Feed ids={['x']} selectedId={undefined} onOpen={() => {}} label="Live events" />, { events });
    expect(screen.getByRole('feed').querySelector('[data-testid="sla"]')).toBeNull();
    expect(screen.getByRole('feed').querySelectorAll('article')).toHaveLength(1);
  });
});
