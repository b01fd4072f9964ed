import { fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api.ts';
import { useFeed } from '../stores/context.tsx';
import { sampleEvent } from '../../../protocol/fixtures.ts';
import { fakeApi, renderApp } from '../test/helpers.tsx';
import { EventActions } from './EventActions.tsx';

function Actions(props: { id: string }) {
  const [feed] = useFeed();
  return (
    <>
      {feed.byId[props.id] ? <EventActions event={feed.byId[props.id]!} /> : null}
      <span data-testid="status">{feed.byId[props.id]?.status}</span>
    </>
  );
}

const buttons = () => screen.queryAllByRole('button').map((b) => b.textContent);

describe('web > EventActions', () => {
  it('shows a viewer no buttons at all', () => {
    renderApp(() => <Actions id="evt-1" />, { role: 'viewer', events: [sampleEvent()] });
    expect(screen.queryByTestId('event-actions')).toBeNull();
    expect(buttons()).toEqual([]);
  });

  it('shows an operator the workflow of the state, and no delete', () => {
    renderApp(() => <Actions id="evt-1" />, { role: 'operator', events: [sampleEvent()] });
    expect(buttons()).toEqual(['Acknowledge', 'Start', 'Assign', 'Resolve', 'Mark read']);
  });

  it('shows an admin delete, behind a confirmation', async () => {
    const api = fakeApi();
    renderApp(() => <Actions id="evt-1" />, { role: 'admin', api, events: [sampleEvent({ status: 'Closed' })] });
    expect(buttons()).toEqual(['Reopen', 'Mark read', 'Delete']);
    fireEvent.click(screen.getByText('Delete'));
    expect(api.remove).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('confirm-delete'));
    await waitFor(() => expect(api.remove).toHaveBeenCalledWith('evt-1'));
  });

  it('acknowledges optimistically and applies the server answer', async () => {
    let resolve!: (v: unknown) => void;
    const api = fakeApi({ patch: vi.fn(() => new Promise((r) => (resolve = r))) });
    renderApp(() => <Actions id="evt-1" />, { role: 'operator', api, events: [sampleEvent()] });
    fireEvent.click(screen.getByText('Acknowledge'));
    expect(screen.getByTestId('status').textContent).toBe('Acknowledged');
    // every action carries a stable action id (stores/outbox.ts), applied once by the Worker
    await waitFor(() =>
      expect(api.patch).toHaveBeenCalledWith('evt-1', { action: 'acknowledge', actionId: expect.any(String) }),
    );
    resolve(sampleEvent({ seq: 11, status: 'Acknowledged', acknowledgedBy: 'operator-1' }));
    await waitFor(() => expect(screen.queryByText('Acknowledge')).toBeNull());
  });

  it('rolls back and says why when the server refuses', async () => {
    const api = fakeApi({
      patch: vi.fn(async () =>
        Promise.reject(new ApiError(409, 'illegal_transition', 'cannot acknowledge an event that is Resolved')),
      ),
    });
    renderApp(() => <Actions id="evt-1" />, { role: 'operator', api, events: [sampleEvent()] });
    fireEvent.click(screen.getByText('Acknowledge'));
    await waitFor(() =>
      expect(screen.getAllByRole('alert')[0]!.textContent).toContain('cannot acknowledge an event that is Resolved'),
    );
    expect(screen.getByTestId('status').textContent).toBe('New');
  });

  it('resolves only with a note, and sends it', async () => {
    const api = fakeApi({ patch: vi.fn(async () => sampleEvent({ seq: 12, status: 'Resolved' })) });
    renderApp(() => <Actions id="evt-1" />, { role: 'operator', api, events: [sampleEvent()] });
    fireEvent.click(screen.getByText('Resolve'));
    fireEvent.click(screen.getByTestId('confirm-resolve'));
    expect(api.patch).not.toHaveBeenCalled();
    fireEvent.input(screen.getByLabelText('Resolution note'), { target: { value: 'Reefer plugged back in' } });
    fireEvent.click(screen.getByTestId('confirm-resolve'));
    await waitFor(() =>
      expect(api.patch).toHaveBeenCalledWith('evt-1', {
        action: 'resolve',
        resolution: 'Reefer plugged back in',
        note: 'Reefer plugged back in',
        actionId: expect.any(String),
      }),
    );
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('Resolved'));
  });
});
