/**
 * The offline action queue (stores/outbox.ts) against a fake API: queued while offline and sent on
 * `online` with its one action id, kept on a network error and retried, a conflict kept and told.
 */
import { createRoot } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { ApiError, type Api } from '../lib/api.ts';
import type { FeedActions } from './feed.ts';
import { createOutboxStore } from './outbox.ts';

const event = () => sampleEvent({ id: 'evt-1', seq: 10, status: 'New' });

function harness(patch: Api['patch']) {
  const snapshot = vi.fn();
  const conflicts: string[] = [];
  const [state, actions] = createRoot(() =>
    createOutboxStore({
      api: { patch } as unknown as Api,
      feed: { snapshot } as unknown as FeedActions,
      enabled: false,
      onConflict: (c) => conflicts.push(c.message),
    }),
  );
  return { state, actions, snapshot, conflicts };
}

function setOnline(v: boolean) {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(v);
  window.dispatchEvent(new Event(v ? 'online' : 'offline'));
}

afterEach(() => vi.restoreAllMocks());

describe('outbox', () => {
  it('queues while offline and sends on reconnect, with one stable action id', async () => {
    const patch = vi.fn(async () => ({ ...event(), seq: 11, status: 'Acknowledged' }));
    const h = harness(patch as unknown as Api['patch']);
    setOnline(false);
    expect(await h.actions.submit(event(), { action: 'acknowledge' })).toBe('queued');
    expect(h.state.pending()).toHaveLength(1);
    expect(patch).not.toHaveBeenCalled();
    setOnline(true);
    await vi.waitFor(() => expect(h.state.pending()).toHaveLength(0));
    expect(patch).toHaveBeenCalledTimes(1);
    expect(patch).toHaveBeenCalledWith('evt-1', { action: 'acknowledge', actionId: expect.any(String) });
    expect(h.snapshot).toHaveBeenCalledTimes(1);
  });

  it('keeps an action after a network error and sends the same id again', async () => {
    let fail = true;
    const patch = vi.fn(async () => {
      if (fail) throw new ApiError(0, 'network', 'the server could not be reached');
      return { ...event(), seq: 11 };
    });
    const h = harness(patch as unknown as Api['patch']);
    setOnline(true);
    expect(await h.actions.submit(event(), { action: 'acknowledge' })).toBe('queued');
    fail = false;
    await h.actions.flush();
    expect(h.state.pending()).toHaveLength(0);
    const ids = patch.mock.calls.map((c) => (c as unknown as [string, { actionId: string }])[1].actionId);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it('keeps a conflict and tells it, not resending it', async () => {
    const patch = vi.fn(async () => {
      throw new ApiError(409, 'illegal_transition', 'cannot acknowledge an event that is Resolved', {
        status: 'Resolved',
      });
    });
    const h = harness(patch as unknown as Api['patch']);
    setOnline(true);
    const r = await h.actions.submit(event(), { action: 'acknowledge' });
    expect(r).toMatchObject({ status: 'Resolved' });
    expect(h.state.pending()).toHaveLength(0);
    expect(h.state.conflicts()).toHaveLength(1);
    expect(h.conflicts).toEqual(['cannot acknowledge an event that is Resolved']);
    await h.actions.flush();
    expect(patch).toHaveBeenCalledTimes(1);
  });
});
