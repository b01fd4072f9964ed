/** Helpers for tests that drive the Worker inside workerd through SELF. */
import { SELF, env } from 'cloudflare:test';
import type { Category } from '../../protocol/enums.ts';
import { signJwt } from '../../protocol/jwt.ts';
import type { Role } from '../../protocol/roles.ts';
import type { ServerMessage } from '../../protocol/room.ts';
import { readServerFrame } from '../support/server-frame.ts';

export const BASE = 'https://quaycast.test';

/** A token for the test secret: an hour long unless `exp` says otherwise; `categories` scopes it. */
export function token(
  role: Role,
  sub = `${role}-user`,
  extra: { exp?: number; iat?: number; secret?: string; categories?: Category[] } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signJwt(
    {
      sub,
      role,
      name: `Test ${role}`,
      iat: extra.iat ?? now,
      exp: extra.exp ?? now + 3600,
      ...(extra.categories ? { categories: extra.categories } : {}),
    },
    extra.secret ?? env.JWT_SECRET,
  );
}

export async function api(path: string, init: RequestInit & { role?: Role } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.role) headers.set('authorization', `Bearer ${await token(init.role)}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

/** A Kafka record as the bridge forwards it; `value` may be any JSON or raw text. */
export function record(topic: string, offset: number, value: unknown, partition = 0) {
  return {
    topic,
    partition,
    offset: String(offset),
    key: null,
    value: typeof value === 'string' ? value : JSON.stringify(value),
  };
}

export async function ingest(records: unknown[]): Promise<Response> {
  return SELF.fetch(`${BASE}/internal/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.INGEST_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ records }),
  });
}

let counter = 0;
/** An id no other test uses. */
export function uid(prefix = 'evt'): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A client of a room socket that records every message it receives. */
export type RoomClient = {
  ws: WebSocket;
  messages: ServerMessage[];
  /** Resolves with the first message (already received or future) that matches. */
  waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  /** Every event id/seq received so far, in arrival order. */
  seqs(): number[];
  ids(): string[];
  closed: Promise<{ code: number; reason: string }>;
};

export async function connect(room: string, query = '', role: Role = 'viewer'): Promise<RoomClient> {
  const res = await SELF.fetch(`${BASE}/api/rooms/${room}/ws${query ? `?${query}` : ''}`, {
    headers: { upgrade: 'websocket', authorization: `Bearer ${await token(role)}` },
  });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const messages: ServerMessage[] = [];
  const waiters: {
    pred: (m: ServerMessage) => boolean;
    resolve: (m: ServerMessage) => void;
    reject: (err: Error) => void;
  }[] = [];
  let drift: Error | undefined;
  let onClose: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClose = r));
  ws.addEventListener('message', (e) => {
    let m: ServerMessage | undefined;
    try {
      m = readServerFrame(e.data as string);
    } catch (err) {
      // fails every wait of this client from now on: the test cannot miss it
      drift = err as Error;
      for (const w of waiters.splice(0)) w.reject(drift);
      return;
    }
    if (!m) return;
    messages.push(m);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.pred(m)) {
        waiters[i]!.resolve(m);
        waiters.splice(i, 1);
      }
    }
  });
  ws.addEventListener('close', (e) => onClose({ code: e.code, reason: e.reason }));
  ws.accept();
  const client: RoomClient = {
    ws,
    messages,
    closed,
    waitFor(pred: (m: ServerMessage) => boolean, timeoutMs = 5000) {
      if (drift) return Promise.reject(drift);
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<ServerMessage>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(0, 500)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => (clearTimeout(timer), resolve(m)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        });
      });
    },
    seqs: () => messages.flatMap((m) => (m.type === 'events' ? m.events.map((e) => e.seq) : [])),
    ids: () => messages.flatMap((m) => (m.type === 'events' ? m.events.map((e) => e.id) : [])),
  } as RoomClient;
  return client;
}

/** Waits until a client has received events with all of these ids. */
export async function waitForIds(client: RoomClient, ids: string[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = new Set(client.ids());
    if (ids.every((id) => got.has(id))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`missing ids: ${ids.filter((id) => !client.ids().includes(id)).join(', ')}`);
}

/** A word no other test uses (letters and digits only, so full-text search finds it whole). */
export function word(prefix = 'w'): string {
  return `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** An API call as a specific token subject (per-user state: read flags, rate limits). */
export async function apiAs(role: Role, sub: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await token(role, sub)}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return SELF.fetch(`${BASE}${path}`, { ...init, headers });
}

/** POST /api/events as a producer; returns the response and its parsed JSON. */
export async function postEvents<T = { data: { id: string; seq: number; status: 'stored' | 'duplicate' }[] }>(
  body: unknown,
  role: Role = 'producer',
): Promise<{ res: Response; json: T }> {
  const res = await api('/api/events', { method: 'POST', role, body: JSON.stringify(body) });
  return { res, json: (await res.json()) as T };
}

/** The API's error body. */
export type ApiErrorBody = { error: { code: string; message: string; details?: unknown } };
