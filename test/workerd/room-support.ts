/**
 * Room test clients (WebSocket and SSE), event fixtures and D1 truth for test/workerd/room-*.test.ts.
 *
 * Isolation: every test *file* runs in its own workerd runtime with its own D1 and Durable
 * Objects (@cloudflare/vitest-plugin 1.x starts one Miniflare per pool worker, and vitest gives
 * each file a fresh worker). So a file that tightens a room's limits shares that room with no
 * other file; `claimStorage` (called by each room test file) fails loudly if that ever stops
 * being true. Inside a file tests run one after another and share its rooms: they take
 * `hello.lastSeq` as a baseline, use unique ids, and put back any limit they change.
 */
import { SELF, env } from 'cloudflare:test';
import { expect } from 'vitest';
import type { Category, Severity } from '../../protocol/enums.ts';
import type { Change } from '../../protocol/event.ts';
import type { HelloMessage, ServerMessage } from '../../protocol/room.ts';
import type { Role } from '../../protocol/roles.ts';
import { readServerFrame } from '../support/server-frame.ts';
import { BASE, ingest, record, token, uid } from './helpers.ts';

export const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';

type Waiter = {
  pred: (m: ServerMessage) => boolean;
  resolve: (m: ServerMessage) => void;
  reject: (err: Error) => void;
};

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

/** What a transport hands the receiver: a frame's text, read strictly (readServerFrame); false when it was not JSON. */
type Receiver = Received & { take(text: string): boolean };

/** A wait for the room's hello that only the tests expecting one await: a refused connection's never rejects unhandled. */
function helloOf(r: Received): Promise<HelloMessage> {
  const hello = r.waitFor(isHello);
  hello.catch(() => undefined); // awaited where a hello is expected; a 5 s timeout elsewhere is no error
  return hello;
}

function receiver(): Receiver {
  const messages: ServerMessage[] = [];
  const waiters: Waiter[] = [];
  let drift: Error | undefined;
  const changes = () => messages.flatMap((m) => (m.type === 'events' ? m.events : []));
  return {
    messages,
    take(text) {
      let m: ServerMessage | undefined;
      try {
        m = readServerFrame(text);
      } catch (err) {
        // fails every wait of this client from now on: the test cannot miss it
        drift = err as Error;
        for (const w of waiters.splice(0)) w.reject(drift);
        return true;
      }
      if (!m) return false;
      messages.push(m);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(m)) {
          waiters[i]!.resolve(m);
          waiters.splice(i, 1);
        }
      }
      return true;
    },
    waitFor(pred: (m: ServerMessage) => boolean, timeoutMs = 5000) {
      if (drift) return Promise.reject(drift);
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<ServerMessage>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages).slice(-600)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => (clearTimeout(timer), resolve(m)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        });
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
        if (drift) throw drift;
        if (missing.length === 0) return;
        if (Date.now() > deadline)
          throw new Error(`missing ${missing.length} of ${ids.length} ids, e.g. ${missing.slice(0, 3).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  } as Receiver;
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
  if (response.status !== 101 || !response.webSocket)
    throw new Error(`upgrade failed: ${response.status} ${await response.text()}`);
  return adoptSocket(response, opts);
}

/** A client over a 101 response already in hand (for tests that build odd upgrade requests themselves). */
export function adoptSocket(response: Response, opts: Pick<SocketOptions, 'autoAck'> = {}): SocketClient {
  const ws = response.webSocket!;
  const r = receiver();
  const texts: string[] = [];
  let onClose: (v: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClose = resolve));
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') return;
    if (!r.take(e.data)) {
      texts.push(e.data); // `pong` and other plain text
      return;
    }
    const m = r.messages[r.messages.length - 1];
    // a frame can still arrive after this side called close(): no ack then
    if (opts.autoAck && m?.type === 'events' && m.events.length > 0 && ws.readyState === WebSocket.OPEN)
      ws.send(JSON.stringify({ type: 'ack', seq: m.events[m.events.length - 1]!.seq }));
  });
  ws.addEventListener('close', (e) => onClose({ code: e.code, reason: e.reason }));
  ws.accept();
  return Object.assign(r, {
    ws,
    response,
    texts,
    closed,
    hello: helloOf(r),
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
export async function openSse(
  room: string,
  opts: { query?: string; lastEventId?: string; role?: Role; headers?: Record<string, string> } = {},
): Promise<SseClient> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${await token(opts.role ?? 'viewer')}`,
    accept: 'text/event-stream',
    ...opts.headers,
  };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
  const response = await SELF.fetch(`${BASE}/api/rooms/${room}/sse${opts.query ? `?${opts.query}` : ''}`, { headers });
  if (response.status !== 200 || !response.body)
    throw new Error(`sse failed: ${response.status} ${await response.text()}`);
  return adoptSse(response);
}

/** A client over a 200 text/event-stream response already in hand. */
export function adoptSse(response: Response): SseClient {
  const reader = response.body!.getReader();
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
        if (data && !r.take(data)) throw new Error(`an SSE data line that is not JSON: ${data.slice(0, 200)}`);
      }
    }
  })();
  return Object.assign(r, {
    response,
    hello: helloOf(r),
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
  if (body.results.some((r) => r.status !== 'stored'))
    throw new Error(`not all stored: ${JSON.stringify(body.results).slice(0, 300)}`);
  return events.map((e) => e.id);
}

/** Ingests `n` events of a room in batches of `batch`, severities cycling or chosen by `severityOf`. */
export async function ingestMany(
  category: Category,
  n: number,
  batch = 250,
  severityOf: (i: number) => Severity = (i) => SEVS[i % 4]!,
): Promise<ReturnType<typeof event>[]> {
  const all = Array.from({ length: n }, (_, i) => event(category, severityOf(i)));
  for (let i = 0; i < n; i += batch) await ingestEvents(all.slice(i, i + batch));
  return all;
}

export const SEVS: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low'];

/** Asserts-friendly: true when a sequence is strictly increasing. */
export function strictlyIncreasing(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

/**
 * Polls `probe` every 10 ms until it returns something other than undefined (tests wait for a
 * condition, never for a fixed time).
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A fence: stores one more event that `client` is subscribed to and waits until it arrives.
 * Pushes leave a room in seq order, so once the fence is in, everything the room would ever
 * send this client before it (a late duplicate, a change that should not come) has arrived too.
 */
export async function fence(client: Received, category: Category, severity: Severity = 'Medium'): Promise<string> {
  const [id] = await ingestEvents([event(category, severity, uid('fence'))]);
  await client.waitForIds([id!]);
  return id!;
}

/** What D1 holds for a room above `after`, in seq order: the truth a client's stream is checked against. */
export async function storedChanges(
  category: Category,
  after: number,
  severities?: readonly Severity[],
): Promise<{ id: string; seq: number }[]> {
  const { results } = await env.DB.prepare(
    'SELECT id, seq, severity, deleted FROM events WHERE category = ?1 AND seq > ?2 ORDER BY seq',
  )
    .bind(category, after)
    .all<{ id: string; seq: number; severity: Severity; deleted: number }>();
  return results
    .filter((r) => !severities || r.deleted === 1 || severities.includes(r.severity))
    .map((r) => ({ id: r.id, seq: r.seq }));
}

/** Duplicates (a change received twice) and order breaks (a seq not above the previous one) in what a client received. */
export function deliveryFaults(c: Received): { duplicates: number; outOfOrder: number } {
  const seen = new Set<string>();
  let duplicates = 0;
  let outOfOrder = 0;
  let last = -Infinity;
  for (const ch of c.changes()) {
    const key = `${ch.id}@${ch.seq}`;
    if (seen.has(key)) duplicates++;
    seen.add(key);
    if (ch.seq <= last) outOfOrder++;
    last = Math.max(last, ch.seq);
  }
  return { duplicates, outOfOrder };
}

/**
 * Asserts that a client's stream above `after` is exactly D1's rows of the room above `after`
 * (matching its filter): nothing missing (no gap), nothing extra, nothing twice, in seq order.
 * For streams of inserts only (a workflow change moves a row to a new seq in D1).
 */
export async function expectStreamMatchesD1(
  c: Received,
  category: Category,
  after: number,
  severities?: readonly Severity[],
  label = 'stream',
): Promise<void> {
  const truth = await storedChanges(category, after, severities);
  const got = c
    .changes()
    .filter((ch) => ch.seq > after)
    .map((ch) => ({ id: ch.id, seq: ch.seq }));
  expect(deliveryFaults(c), `${label}: duplicates and order breaks`).toEqual({ duplicates: 0, outOfOrder: 0 });
  expect(got, `${label}: exactly what D1 holds above ${after}`).toEqual(truth);
}

/**
 * Guards the isolation this file relies on (see the top of this module): records `file` in a
 * table of the runtime's D1 and fails when another test file already left its name there, i.e.
 * when two files share one D1 and so one set of rooms.
 */
export async function claimStorage(file: string): Promise<void> {
  await env.DB.prepare('CREATE TABLE IF NOT EXISTS test_storage_claims (file TEXT PRIMARY KEY)').run();
  await env.DB.prepare('INSERT OR IGNORE INTO test_storage_claims (file) VALUES (?1)').bind(file).run();
  const { results } = await env.DB.prepare('SELECT file FROM test_storage_claims').all<{ file: string }>();
  expect(
    results.map((r) => r.file),
    'this test file has its D1 and rooms to itself',
  ).toEqual([file]);
}

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
