import { fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../lib/api.ts';
import { fakeApi, renderApp } from '../test/helpers.tsx';
import CreateEventForm, { EMPTY_VALUES, validateCreate } from './CreateEventForm.tsx';

describe('web > CreateEventForm', () => {
  it('validates with the shared schema: required fields, lengths, coordinates of ids', () => {
    expect(validateCreate({ ...EMPTY_VALUES }).errors).toMatchObject({ title: 'Required', eventType: 'Required' });
    const long = validateCreate({ ...EMPTY_VALUES, title: 'x'.repeat(201), eventType: 'GateIn' }).errors;
    expect(Object.keys(long)).toEqual(['title']);
    const ok = validateCreate({
      ...EMPTY_VALUES,
      title: ' Gate-in ',
      eventType: 'GateIn',
      containerId: ' MSCU1 ',
      requiresAction: true,
    });
    expect(ok.errors).toEqual({});
    expect(ok.input).toMatchObject({
      title: ' Gate-in ',
      eventType: 'GateIn',
      containerId: 'MSCU1',
      category: 'Container',
      severity: 'Medium',
      requiresAction: true,
    });
    expect(ok.input).not.toHaveProperty('shipId');
  });

  it('shows the errors inline and does not post an invalid event', async () => {
    const api = fakeApi();
    renderApp(() => <CreateEventForm onClose={() => {}} />, { role: 'producer', api });
    fireEvent.click(screen.getByTestId('submit-create'));
    expect(await screen.findAllByText('Required')).toHaveLength(2);
    expect(screen.getByLabelText(/^Title/).getAttribute('aria-invalid')).toBe('true');
    expect(api.create).not.toHaveBeenCalled();
    // fixing a field clears its message as you type
    fireEvent.input(screen.getByLabelText(/^Title/), { target: { value: 'Crane QC-07 stopped' } });
    await waitFor(() => expect(screen.getAllByText('Required')).toHaveLength(1));
  });

  it('posts a valid event and closes', async () => {
    const api = fakeApi({ create: vi.fn(async () => ({ data: [{ id: 'new-1', seq: 5, status: 'stored' }] })) });
    const onClose = vi.fn();
    renderApp(() => <CreateEventForm onClose={onClose} />, { role: 'producer', api });
    fireEvent.input(screen.getByLabelText(/^Title/), { target: { value: 'Crane QC-07 stopped' } });
    fireEvent.input(screen.getByLabelText(/^Type/), { target: { value: 'CraneFault' } });
    fireEvent.change(screen.getByLabelText('Severity'), { target: { value: 'Critical' } });
    fireEvent.click(screen.getByTestId('submit-create'));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    expect(api.create).toHaveBeenCalledWith(
      expect.objectContaining({ title: 'Crane QC-07 stopped', eventType: 'CraneFault', severity: 'Critical' }),
    );
  });

  it("maps the API's per-field details onto the form", async () => {
    const api = fakeApi({
      create: vi.fn(async () =>
        Promise.reject(
          new ApiError(400, 'invalid_request', '1 invalid field', [{ path: 'containerId', message: 'already taken' }]),
        ),
      ),
    });
    renderApp(() => <CreateEventForm onClose={() => {}} />, { role: 'producer', api });
    fireEvent.input(screen.getByLabelText(/^Title/), { target: { value: 'x' } });
    fireEvent.input(screen.getByLabelText(/^Type/), { target: { value: 'y' } });
    fireEvent.click(screen.getByTestId('submit-create'));
    expect(await screen.findByText('already taken')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('1 invalid field');
  });
});
