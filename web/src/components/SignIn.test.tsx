import { fireEvent, screen, waitFor } from '@solidjs/testing-library';
import { describe, expect, it, vi } from 'vitest';
import { TOKEN_KEY } from '../lib/auth.ts';
import { createSessionStore, sharedSessionStart } from '../stores/session.ts';
import { useConnection, useSession } from '../stores/context.tsx';
import { fakeApi, fakeToken, liveRoomEnv, renderApp } from '../test/helpers.tsx';
import { SignIn } from './SignIn.tsx';
import { SubscriptionPanel } from './SubscriptionPanel.tsx';

function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  } as Storage;
}

describe('web > sign-in and sign-out', () => {
  it('signing out forgets the token in this tab and ends the server session (DELETE /api/session through the API)', async () => {
    const api = fakeApi();
    function SignOutButton() {
      const [session, actions] = useSession();
      return (
        <button type="button" onClick={() => actions.signOut()}>
          {session.token ? 'Sign out' : 'Signed out'}
        </button>
      );
    }
    renderApp(() => <SignOutButton />, { api });
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    await screen.findByRole('button', { name: 'Signed out' });
    expect(api.closeSession).toHaveBeenCalledTimes(1);
  });

  it('the session store clears storage at once and still signs out when the server cannot be reached', async () => {
    const storage = memoryStorage();
    const token = fakeToken('viewer');
    storage.setItem(TOKEN_KEY, token);
    const end = vi.fn(async () => {
      throw new Error('offline');
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const [state, actions] = createSessionStore(token, storage, end);
    expect(state.token).toBe(token);
    actions.signOut();
    expect(state.token).toBeUndefined();
    expect(storage.getItem(TOKEN_KEY)).toBeNull();
    expect(end).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(warn).toHaveBeenCalled());
    warn.mockRestore();
  });

  it('refuses a token without an expiry with a message that says so (the Worker would refuse it too)', async () => {
    renderApp(() => <SignIn />);
    const never = fakeToken('viewer').split('.');
    const payload = btoa(JSON.stringify({ sub: 'a', role: 'viewer' })).replace(/=+$/, '');
    fireEvent.input(screen.getByLabelText('Token (JWT)'), { target: { value: `${never[0]}.${payload}.sig` } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('never expires');
  });
});

describe('web > one server session for all rooms', () => {
  it('starts the session once per token however many rooms ask at once, again for a new token, and after a failure', async () => {
    let token = 'a';
    let fail = false;
    const start = vi.fn(async () => {
      if (fail) throw new Error('offline');
    });
    const open = sharedSessionStart(() => token, start);
    await Promise.all([open(), open(), open(), open(), open()]);
    expect(start).toHaveBeenCalledTimes(1);
    token = 'b';
    await open();
    await open();
    expect(start).toHaveBeenCalledTimes(2);
    token = 'c';
    fail = true;
    await expect(open()).rejects.toThrow('offline');
    fail = false;
    await open();
    expect(start).toHaveBeenCalledTimes(4);
  });
});

describe('web > a scoped token sees only its rooms', () => {
  it('lists only the token’s categories in the room chooser', () => {
    renderApp(() => <SubscriptionPanel />, {
      token: fakeToken('viewer', 'customs', { categories: ['Container', 'Ship'] }),
    });
    const rooms = screen.getByRole('group', { name: 'Rooms' });
    expect([...rooms.querySelectorAll('label')].map((l) => l.textContent?.trim())).toEqual(['Container', 'Ship']);
  });

  it('opens only the rooms of the scope, although the saved subscription names them all', async () => {
    const opened: string[] = [];
    const env = liveRoomEnv();
    const openSocket = env.openSocket;
    env.openSocket = (url, protocols) => {
      opened.push(new URL(url).pathname.split('/')[3]!);
      return openSocket(url, protocols);
    };
    function Rooms() {
      const [conn] = useConnection();
      return <p data-testid="rooms">{Object.keys(conn.rooms).sort().join(',')}</p>;
    }
    renderApp(() => <Rooms />, { token: fakeToken('viewer', 'customs', { categories: ['Container'] }), roomEnv: env });
    await waitFor(() => expect(opened).toContain('Container'));
    expect(new Set(opened)).toEqual(new Set(['Container']));
  });

  it('a token without the claim lists every room', () => {
    renderApp(() => <SubscriptionPanel />, { token: fakeToken('viewer') });
    const rooms = screen.getByRole('group', { name: 'Rooms' });
    expect([...rooms.querySelectorAll('label')].map((l) => l.textContent?.trim())).toEqual([
      'Container',
      'Ship',
      'Berth',
      'Port',
      'System',
    ]);
  });
});
