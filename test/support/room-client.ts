/** A real WebSocket client of a room (the `ws` package, which can send an Authorization header). */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Change } from '../../protocol/event.ts';
import type { ServerMessage } from '../../protocol/room.ts';
import { readServerFrame } from './server-frame.ts';

export type RoomSocket = {
  ws: WebSocket;
  messages: ServerMessage[];
  events: Change[];
  waitForEvents(count: number, timeoutMs?: number): Promise<Change[]>;
  /** Resolves when a change with this id has arrived. */
  waitForId(id: string, timeoutMs?: number): Promise<Change>;
  /** Resolves when every one of these ids has arrived (at least once). */
  waitForIds(ids: string[], timeoutMs?: number): Promise<void>;
  close(): void;
};

export async function openRoom(baseUrl: string, room: string, token: string, query = ''): Promise<RoomSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/api/rooms/${room}/ws${query ? `?${query}` : ''}`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const messages: ServerMessage[] = [];
  const events: Change[] = [];
  let drift: Error | undefined;
  ws.on('message', (data) => {
    let m: ServerMessage | undefined;
    try {
      m = readServerFrame(data.toString());
    } catch (err) {
      drift = err as Error; // thrown by every wait below: the test cannot miss it
      return;
    }
    if (!m) return;
    messages.push(m);
    if (m.type === 'events') events.push(...m.events);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    events,
    async waitForEvents(count, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (drift) throw drift;
        if (Date.now() > deadline) throw new Error(`received ${events.length} of ${count} events in ${timeoutMs} ms`);
        await sleep(20);
      }
      return events;
    },
    async waitForId(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (drift) throw drift;
        const found = events.find((e) => e.id === id);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `${id} did not arrive in ${timeoutMs} ms (${events.length} events, last ${events.at(-1)?.id})`,
          );
        await sleep(20);
      }
    },
    async waitForIds(ids, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const have = new Set(events.map((e) => e.id));
        const missing = ids.filter((id) => !have.has(id));
        if (drift) throw drift;
        if (missing.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(
            `${missing.length} of ${ids.length} ids did not arrive in ${timeoutMs} ms (first missing ${missing[0]})`,
          );
        await sleep(20);
      }
    },
    close: () => ws.close(),
  };
}
