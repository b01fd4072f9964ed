/**
 * Room test clients (WebSocket and SSE) and event fixtures for test/workerd/room-*.test.ts.
 *
 * Rooms are shared by every test file of a run: tests never assume absolute seqs (they take
 * `hello.lastSeq` as a baseline) and use unique ids. Disruptive room tests (drain, restart,
 * tightened limits) run only in the `System` room (room-disruptive.test.ts).
 */
import { SELF, env } from 'cloudflare:test';
import type { Category, Severity } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import type { HelloMessage, ServerMessage } from '../../protocol/room.ts';
import type { Role } from '../../protocol/roles.ts';
import { BASE, ingest, record, token, uid } from './helpers.ts';

export const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';

type Waiter = { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void };

/** What both transports' clients share: the messages received and waiting on them. */
export type Received = {
  messages: ServerMessage[];
  waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  /** Every change received, in arrival order. */
  changes(): Change[];
  seqs(): number[];
  ids(): string[];
  /** Waits until changes with all of these ids have arrived. */
  waitForIds(ids: readonly string[], timeoutMs?: number): Promise<void>;
};

function receiver(): Received & { push(m: ServerMessage): void } {
  const messages: ServerMessage[] = [];
  const waiters: Waiter[] = [];
  const changes = () => messages.flatMap((m) => (m.type === 'events' ? m.events : []));
  return {
    messages,
    push(m) {
      messages.push(m);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(m)) {
          waiters[i]!.resolve(m);
          waiters.splice(i, 1);
        }
      }
    },
    waitFor(pred: (m: ServerMessage) => boolean, timeoutMs = 5000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<ServerMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(-600)}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    changes,
    seqs: () => changes().map((c) => c.seq),
    ids: () => changes().map((c) => c.id),
    async waitForIds(ids, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = new Set(changes().map((c) => c.id));
        const missing = ids.filter((id) => !got.has(id));
        if (missing.length === 0) return;
        if (Date.now() > deadline) throw new Error(`missing ${missing.length} of ${ids.length} ids, e.g. ${missing.slice(0, 3).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  } as Received & { push(m: ServerMessage): void };
}

export type SocketClient = Received & {
  ws: WebSocket;
  response: Response;
  hello: Promise<HelloMessage>;
  closed: Promise<{ code: number; reason: string }>;
  /** Raw text frames that were not JSON (e.g. the auto-response `pong`). */
  texts: string[];
  close(): void;
};

export type SocketOptions = {
  query?: string;
  role?: Role;
  /** Extra request headers (Origin, Sec-WebSocket-Protocol, ...). */
  headers?: Record<string, string>;
  /** Send no Authorization header (browser style: the token rides in a subprotocol). */
  noAuthHeader?: boolean;
  /** Acknowledge every `events` frame (flow control, as the dashboard does). */
  autoAck?: boolean;
};

/** Opens a room socket through the Worker (SELF), or returns the refused response. */
export async function upgrade(room: string, opts: SocketOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { upgrade: 'websocket', ...opts.headers };
  if (!opts.noAuthHeader) headers.authorization = `Bearer ${await token(opts.role ?? 'viewer')}`;
  return SELF.fetch(`${BASE}/api/rooms/${room}/ws${opts.query ? `?${opts.query}` : ''}`, { headers });
}

export async function openSocket(room: string, opts: SocketOptions = {}): Promise<SocketClient> {
  const response = await upgrade(room, opts);
  if (response.status !== 101 || !response.webSocket) throw new Error(`upgrade failed: ${response.status} ${await response.text()}`);
  const ws = response.webSocket;
  const r = receiver();
  const texts: string[] = [];
  let onClose: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClose = resolve));
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    let m: ServerMessage;
    try {
      m = JSON.parse(e.data) as ServerMessage;
    } catch {
      texts.push(e.data); // `pong` and other plain text
      return;
    }
    r.push(m);
    // a frame can still arrive after this side called close(): no ack then
    if (opts.autoAck && m.type === 'events' && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ack', seq: m.events[m.events.length - 1]!.seq }));
  });
  ws.addEventListener('close', (e) => onClose({ code: e.code, reason: e.reason }));
  ws.accept();
  return Object.assign(r, {
    ws,
    response,
    texts,
    closed,
    hello: r.waitFor(isHello),
    close: () => {
      try {
        ws.close(1000, 'done');
      } catch {
        // already closed by the server
      }
    },
  });
}

export type SseClient = Received & {
  response: Response;
  hello: Promise<HelloMessage>;
  /** `id:` values in arrival order, and comment lines (heartbeats). */
  ids_: number[];
  comments: string[];
  retry: number[];
  ended: Promise<void>;
  close(): Promise<void>;
};

/** Opens the SSE fallback and parses the stream as it arrives. */
export async function openSse(room: string, opts: { query?: string; lastEventId?: string; role?: Role; headers?: Record<string, string> } = {}): Promise<SseClient> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token(opts.role ?? 'viewer')}`, accept: 'text/event-stream', ...opts.headers };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
  const response = await SELF.fetch(`${BASE}/api/rooms/${room}/sse${opts.query ? `?${opts.query}` : ''}`, { headers });
  if (response.status !== 200 || !response.body) throw new Error(`sse failed: ${response.status} ${await response.text()}`);
  const reader = response.body.getReader();
  const r = receiver();
  const ids: number[] = [];
  const comments: string[] = [];
  const retry: number[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const ended = (async () => {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return; // cancelled by close()
      }
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) ids.push(Number(line.slice(4)));
          else if (line.startsWith('retry: ')) retry.push(Number(line.slice(7)));
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) r.push(JSON.parse(data) as ServerMessage);
      }
    }
  })();
  return Object.assign(r, {
    response,
    hello: r.waitFor(isHello),
    ids_: ids,
    comments,
    retry,
    ended,
    close: async () => {
      await reader.cancel().catch(() => {
        // already ended
      });
    },
  });
}

/** A minimal valid event of a room. */
export function event(category: Category, severity: Severity = 'Medium', id = uid(category.toLowerCase())) {
  return { id, category, severity, eventType: 'RoomTest', title: `room test ${id}` };
}

let offset = 1_000_000 + Math.floor(Math.random() * 1e9);

/** Ingests events through /internal/ingest (as the bridge does); returns their ids. */
export async function ingestEvents(events: { id: string }[]): Promise<string[]> {
  const res = await ingest(events.map((e) => record('port-events', offset++, e)));
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results: { status: string }[] };
  if (body.results.some((r) => r.status !== 'stored')) throw new Error(`not all stored: ${JSON.stringify(body.results).slice(0, 300)}`);
  return events.map((e) => e.id);
}

/** Ingests `n` events of a room in batches of `batch`, severities cycling or chosen by `severityOf`. */
export async function ingestMany(category: Category, n: number, batch = 250, severityOf: (i: number) => Severity = (i) => SEVS[i % 4]!): Promise<ReturnType<typeof event>[]> {
  const all = Array.from({ length: n }, (_, i) => event(category, severityOf(i)));
  for (let i = 0; i < n; i += batch) await ingestEvents(all.slice(i, i + batch));
  return all;
}

export const SEVS: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low'];

/** Asserts-friendly: true when a sequence is strictly increasing. */
export function strictlyIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The room's stub (for runInDurableObject / evictDurableObject / direct RPC). */
export function roomOf(category: Category) {
  return env.ROOMS.get(env.ROOMS.idFromName(category));
}

/** Seeded PRNG (mulberry32) for the property tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
