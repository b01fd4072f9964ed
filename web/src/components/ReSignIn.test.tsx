/**
 * Contract 4 in the dashboard: when a room says the token expired, the sign-in form opens over
 * the dashboard, which keeps its place — rooms watched, filters, the selected event, the feed's
 * scroll — and after a new sign-in every room resumes from its cursor (no new snapshot, so
 * nothing twice; `after=<cursor>`, so nothing missed).
 */
import { fireEvent, render, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { CATEGORIES } from '../../../protocol/enums.ts';
import { Shell } from '../App.tsx';
import { AppProvider } from '../stores/context.tsx';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { fakeApi, fakeToken } from '../test/helpers.tsx';
import { fakeRoomEnv } from '../test/room-fakes.ts';

function fakeRooms() {
  const { env, sockets } = fakeRoomEnv();
  const open = () => sockets.filter((s) => !s.closed);
  return { env, sockets, open };
}

function memory(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  } as Storage;
}

describe('web > re-sign-in after a token expired', () => {
  it('opens the sign-in form over the dashboard, keeps rooms, filters, selection and scroll, and resumes every room from its cursor after the new sign-in', async () => {
    const rooms = fakeRooms();
    const api = fakeApi({ history: vi.fn(async () => []) });
    render(() => (
      <AppProvider
        token={fakeToken('operator', 'op-1')}
        api={api}
        roomEnv={rooms.env}
        storage={{ local: memory(), session: memory() }}
        feed={{ schedule: (fn) => queueMicrotask(fn) }}
      >
        <Shell />
      </AppProvider>
    ));
    // Every watched room connects and goes live; the Container room delivers 40 events.
    await waitFor(() => expect(rooms.open()).toHaveLength(CATEGORIES.length));
    for (const s of rooms.open()) s.hello(100);
    const container = rooms.open().find((s) => s.room === 'Container')!;
    const events = Array.from({ length: 40 }, (_, i) =>
      sampleEvent({ id: `c-${i}`, seq: 101 + i, title: `Reefer ${i}` }),
    );
    container.push({ type: 'events', events });
    await waitFor(() => expect(screen.getByRole('feed').querySelectorAll('article').length).toBeGreaterThan(5));
    const snapshotsBefore = (api.listEvents as ReturnType<typeof vi.fn>).mock.calls.length;

    // The operator's place: a search typed, an event open, the feed scrolled down.
    const search = screen.getByPlaceholderText(/Search text/) as HTMLInputElement;
    fireEvent.input(search, { target: { value: 'Reefer' } });
    fireEvent.click(screen.getByRole('feed').querySelector('article[data-id="c-30"]')!);
    await waitFor(() => expect(screen.getByTestId('detail').textContent).toContain('Reefer 30'));
    const scroller = screen.getByRole('feed').parentElement!;
    scroller.scrollTop = 640;
    fireEvent.scroll(scroller);

    // The token ends: every room says so and closes with 4401.
    for (const s of rooms.open()) {
      s.push({ type: 'error', code: 'token_expired', message: 'the token of this connection has expired' });
      s.close(4401);
    }
    const dialog = await screen.findByRole('dialog', { name: 'Sign in again' });
    expect(dialog.textContent).toMatch(/keeps its place/);
    expect(rooms.open()).toHaveLength(0);
    // Underneath, nothing moved.
    expect(screen.getByTestId('detail').textContent).toContain('Reefer 30');
    expect(scroller.scrollTop).toBe(640);
    expect(search.value).toBe('Reefer');

    // A new sign-in in the dialog.
    const socketsBefore = rooms.sockets.length;
    fireEvent.input(dialog.querySelector('textarea')!, { target: { value: fakeToken('operator', 'op-2') } });
    fireEvent.submit(dialog.querySelector('form')!);
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(rooms.sockets.length - socketsBefore).toBe(CATEGORIES.length));

    const resumed = rooms.sockets.slice(socketsBefore);
    expect(new Set(resumed.map((s) => s.room))).toEqual(new Set(CATEGORIES));
    expect(new URL(resumed.find((s) => s.room === 'Container')!.url).searchParams.get('after')).toBe('140');
    for (const s of resumed.filter((r) => r.room !== 'Container'))
      expect(new URL(s.url).searchParams.get('after')).toBe('100');
    expect((api.listEvents as ReturnType<typeof vi.fn>).mock.calls.length, 'no new snapshot: the rooms resume').toBe(
      snapshotsBefore,
    );
    // The place is still kept.
    expect(screen.getByTestId('detail').textContent).toContain('Reefer 30');
    expect(scroller.scrollTop).toBe(640);
    expect(search.value).toBe('Reefer');
    expect(screen.getByTestId('user').textContent).toContain('op-2');
  });
});
