import { For, createSignal, onCleanup } from 'solid-js';
import { CATEGORIES } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import { ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ServerMessage } from '../../protocol/room.ts';

/** Placeholder live view: connects to every room and lists events as they arrive. */
export function App() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('qc_token', fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem('qc_token') ?? '';
  const [events, setEvents] = createSignal<Change[]>([]);
  const [status, setStatus] = createSignal<Record<string, string>>({});
  const sockets = CATEGORIES.map((room) => {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/api/rooms/${room}/ws`, [ROOM_SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${token}`]);
    ws.onopen = () => setStatus((s) => ({ ...s, [room]: 'connected' }));
    ws.onclose = () => setStatus((s) => ({ ...s, [room]: 'closed' }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data as string) as ServerMessage;
      if (m.type === 'events') setEvents((list) => [...m.events.slice().reverse(), ...list].slice(0, 200));
    };
    return ws;
  });
  onCleanup(() => sockets.forEach((ws) => ws.close()));
  return (
    <main>
      <h1>Quaycast</h1>
      <p data-testid="status">{CATEGORIES.map((c) => `${c}: ${status()[c] ?? 'connecting'}`).join(' · ')}</p>
      <ul data-testid="feed">
        <For each={events()}>{(e) => <li data-id={e.id}>{'deleted' in e ? `${e.id} deleted` : `[${e.category}/${e.severity}] #${e.seq} ${e.title}`}</li>}</For>
      </ul>
    </main>
  );
}
