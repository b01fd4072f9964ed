/**
 * Load generator (child process): room clients over real WebSockets (the `ws` package), spread
 * over several loopback source addresses. Each client records what it receives (ids, seq order,
 * produce→receive latency) and resumes with its cursor (`after`) whenever it reconnects, the way
 * a dashboard does. The same code drives Quaycast and the peer.
 *
 * IPC in: open, latency, drop, close, resume, progress, result; each answered (see `handle`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import WebSocket from 'ws';
import { backoffMs, type BackoffPolicy } from '../../bridge/src/backoff.ts';
import type { Category, Severity } from '../../protocol/enums.ts';
import { eventIndex, expects } from '../lib/plan.ts';
import { account, addDelivery, NO_DELIVERY, newLatencyHistogram, type Delivery } from '../lib/stats.ts';

export type ClientSpec = { room: Category; severities: Severity[] | null };

export type OpenCommand = {
  type: 'open';
  baseUrl: string;
  /** One viewer JWT per client, in `clients` order (each client is its own token sub). */
  tokens: string[];
  runId: string;
  rooms: Category[];
  clients: ClientSpec[];
  /** Loopback source addresses, used round-robin (each has its own ephemeral port range). */
  addresses: string[];
  /** Offer permessage-deflate (browsers do); off by default. */
  deflate: boolean;
  /** Handshakes in flight at once. */
  concurrency: number;
  /** Expected highest event index (sizes the per-client counters; they grow if needed). */
  capacity: number;
};

type EventLike = { id: string; seq: number; eventData?: { producedAtMs?: number; warm?: boolean } };

const now = () => performance.timeOrigin + performance.now();
/** The room protocol: acknowledgements at most every 200 ms (protocol/schemas/room.ts, AckMessageSchema; docs/rooms.md). */
const ACK_INTERVAL_MS = 200;
/** Reconnecting after a failed connect, and retrying the first connects of a burst. */
const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 5000, jitter: 'full' };
const CONNECT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 1600, jitter: 'none' };

let config: OpenCommand;
const latency = newLatencyHistogram();
let recordLatency = true;
let errorsFromServer = 0;
let unexpectedCloses = 0;
let failedConnects = 0;
let foreign = 0;
/** Time of the last drop/resume: the clients' `backAt` are measured from it. */
let markAt = 0;

class Client {
  ws: WebSocket | undefined;
  cursor: number | undefined;
  counts: Uint8Array;
  lastSeq = -1;
  outOfOrder = 0;
  helloLastSeq = -1;
  backAt = 0;
  /** Closed on purpose (offline): no automatic reconnect. */
  offline = false;
  lastAckAt = 0;
  ackTimer: ReturnType<typeof setTimeout> | undefined;

  readonly spec: ClientSpec;
  readonly address: string;
  readonly token: string;

  constructor(spec: ClientSpec, address: string, token: string) {
    this.spec = spec;
    this.address = address;
    this.token = token;
    this.counts = new Uint8Array(Math.max(16, config.capacity));
  }

  url(): string {
    const q = new URLSearchParams();
    if (this.spec.severities) q.set('severity', this.spec.severities.join(','));
    if (this.cursor !== undefined) q.set('after', String(this.cursor));
    const qs = q.toString();
    return `${config.baseUrl.replace(/^http/, 'ws')}/api/rooms/${this.spec.room}/ws${qs ? `?${qs}` : ''}`;
  }

  /** Opens the socket; resolves on the room's hello. */
  connect(): Promise<void> {
    this.backAt = 0;
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url(), {
        headers: { authorization: `Bearer ${this.token}` },
        localAddress: this.address,
        perMessageDeflate: config.deflate,
        handshakeTimeout: 20_000,
      });
      this.ws = ws;
      let helloSeen = false;
      ws.on('message', (data) => {
        let m: { type: string; lastSeq?: number; events?: EventLike[] };
        try {
          m = JSON.parse(data.toString()) as typeof m;
        } catch {
          return; // not a JSON frame (e.g. `pong`): nothing to account
        }
        if (m.type === 'hello') {
          helloSeen = true;
          this.helloLastSeq = m.lastSeq ?? 0;
          if (this.cursor === undefined) this.cursor = this.helloLastSeq;
          if (this.cursor >= this.helloLastSeq) this.backAt = now();
          resolve();
        } else if (m.type === 'events') {
          this.receive(m.events ?? []);
          this.ack(ws);
        } else if (m.type === 'error') {
          errorsFromServer++;
        }
      });
      ws.on('error', (err) => {
        if (!helloSeen) reject(err);
      });
      ws.on('close', () => {
        if (!helloSeen) reject(new Error('closed before hello'));
        else if (this.ws === ws && !this.offline) {
          unexpectedCloses++;
          void this.reconnect(250);
        }
      });
    });
  }

  receive(events: EventLike[]): void {
    const t = now();
    for (const e of events) {
      const n = eventIndex(config.runId, e.id);
      if (n < 0) {
        foreign++;
        continue;
      }
      if (n >= this.counts.length) {
        const grown = new Uint8Array(Math.max(n + 1, this.counts.length * 2));
        grown.set(this.counts);
        this.counts = grown;
      }
      if (this.counts[n]! < 255) this.counts[n]!++;
      if (e.seq <= this.lastSeq) this.outOfOrder++;
      this.lastSeq = Math.max(this.lastSeq, e.seq);
      this.cursor = Math.max(this.cursor ?? 0, e.seq);
      const at = e.eventData?.producedAtMs;
      if (recordLatency && typeof at === 'number' && !e.eventData?.warm)
        latency.recordValue(Math.max(1, Math.round((t - at) * 1000)));
    }
    if (this.backAt === 0 && (this.cursor ?? 0) >= this.helloLastSeq) this.backAt = t;
  }

  /**
   * Flow control, as the room protocol asks: `{ type: 'ack', seq }` for what was processed, at
   * most every ACK_INTERVAL_MS (a room stops a replay, and sheds a live socket, whose unacknowledged
   * bytes pass its window). The peer ignores acks (it relies on TCP backpressure).
   */
  ack(ws: WebSocket): void {
    if (this.ackTimer) return;
    const wait = Math.max(0, this.lastAckAt + ACK_INTERVAL_MS - now());
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      if (this.ws !== ws || ws.readyState !== WebSocket.OPEN || this.cursor === undefined) return;
      this.lastAckAt = now();
      ws.send(JSON.stringify({ type: 'ack', seq: this.cursor }));
    }, wait);
  }

  /** Reconnects with the cursor after a random delay of up to `jitterMs`, backing off on failure. */
  async reconnect(jitterMs: number): Promise<void> {
    this.ws = undefined;
    await sleep(Math.random() * jitterMs);
    for (let attempt = 0; attempt < 30 && !this.offline; attempt++) {
      try {
        await this.connect();
        return;
      } catch {
        failedConnects++;
        await sleep(backoffMs(attempt, RECONNECT_BACKOFF));
      }
    }
  }

  drop(): void {
    const ws = this.ws;
    this.ws = undefined; // its close event must not count as unexpected
    ws?.terminate();
  }
}

let clients: Client[] = [];

async function openAll(cmd: OpenCommand): Promise<{ ok: number; failed: number; ms: number; errors: string[] }> {
  config = cmd;
  const started = now();
  clients = cmd.clients.map((spec, i) => new Client(spec, cmd.addresses[i % cmd.addresses.length]!, cmd.tokens[i]!));
  const errors: string[] = [];
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < clients.length) {
      const c = clients[next++]!;
      for (let attempt = 0; ; attempt++) {
        try {
          await c.connect();
          ok++;
          break;
        } catch (err) {
          if (attempt >= 4) {
            if (errors.length < 5) errors.push(String((err as Error).message ?? err));
            break;
          }
          await sleep(backoffMs(attempt, CONNECT_RETRY_BACKOFF));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cmd.concurrency) }, worker));
  return { ok, failed: clients.length - ok, ms: Math.round(now() - started), errors };
}

/** Expected counts per distinct room/filter, computed once per `produced` value. */
const expectedCache = new Map<string, number>();
function expectedOf(c: Client, produced: number): number {
  const key = `${produced}|${c.spec.room}|${c.spec.severities?.join(',') ?? '*'}`;
  let e = expectedCache.get(key);
  if (e === undefined) {
    e = 0;
    for (let n = 0; n < produced; n++) if (expects(n, config.rooms, c.spec.room, c.spec.severities)) e++;
    expectedCache.set(key, e);
  }
  return e;
}

function progress(produced: number) {
  let expected = 0;
  let received = 0;
  let back = 0;
  let lastBackAt = 0;
  for (const c of clients) {
    expected += expectedOf(c, produced);
    for (let n = 0; n < Math.min(produced, c.counts.length); n++) if (c.counts[n]! > 0) received++;
    if (c.backAt > 0 && c.ws) {
      back++;
      lastBackAt = Math.max(lastBackAt, c.backAt);
    }
  }
  return {
    expected,
    received,
    back,
    clients: clients.length,
    lastBackMs: lastBackAt > 0 ? Math.round(lastBackAt - markAt) : -1,
  };
}

function result(produced: number) {
  let delivery: Delivery = NO_DELIVERY;
  for (const c of clients)
    delivery = addDelivery(
      delivery,
      account(c.counts, produced, (n) => expects(n, config.rooms, c.spec.room, c.spec.severities), c.outOfOrder),
    );
  return {
    delivery,
    histogram: hdr.encodeIntoCompressedBase64(latency),
    errorsFromServer,
    unexpectedCloses,
    failedConnects,
    foreign,
    memoryBytes: process.memoryUsage().rss,
  };
}

async function handle(m: { type: string } & Record<string, unknown>): Promise<Record<string, unknown>> {
  switch (m.type) {
    case 'open':
      return { type: 'opened', ...(await openAll(m as unknown as OpenCommand)) };
    case 'latency':
      recordLatency = Boolean(m.on);
      if (m.reset) latency.reset();
      return { type: 'latency' };
    case 'drop': {
      // every socket at once, as a crashed server or a network cut would
      markAt = now();
      for (const c of clients) c.drop();
      for (const c of clients) void c.reconnect(Number(m.jitterMs ?? 1000));
      return { type: 'dropped' };
    }
    case 'close':
      for (const c of clients) {
        c.offline = true;
        c.drop();
      }
      return { type: 'closed' };
    case 'resume':
      markAt = now();
      for (const c of clients) {
        c.offline = false;
        void c.reconnect(0);
      }
      return { type: 'resumed' };
    case 'progress':
      return { type: 'progress', ...progress(Number(m.produced)) };
    case 'result':
      return { type: 'result', ...result(Number(m.produced)) };
    default:
      return { type: 'fatal', message: `unknown command ${m.type}` };
  }
}

process.on('message', (m: { type: string } & Record<string, unknown>) => {
  handle(m).then(
    (reply) => process.send!(reply),
    (err: Error) => process.send!({ type: 'fatal', message: err.stack ?? String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
