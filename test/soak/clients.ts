/**
 * The soak's room clients: real WebSockets that keep their cursor, drop on purpose now and then,
 * get dropped by Worker restarts, and always resume with `after=<cursor>`, the way the dashboard
 * does. Each one counts what it received per id and every seq that did not increase.
 */
import WebSocket from 'ws';
import { backoffMs, type BackoffPolicy } from '../../bridge/src/backoff.ts';
import type { Category, Severity } from '../../protocol/enums.ts';
import type { ServerMessage } from '../../protocol/room.ts';
import { parseServerMessage } from '../../protocol/server-message.ts';

export type ClientSpec = { room: Category; severities: Severity[] | null; token: string };

/** How often a client acknowledges what it processed (the room's flow control). */
const ACK_EVERY_MS = 500;
/** After its socket closed: 100 ms doubling to 3 s, half of it random, so the clients of a restarted Worker do not come back at once. */
const RECONNECT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 3000, jitter: 'equal' };

export class SoakClient {
  readonly spec: ClientSpec;
  /** Times each id arrived. */
  readonly received = new Map<string, number>();
  /** Changes whose seq was not above the cursor when they arrived. */
  outOfOrder = 0;
  cursor = 0;
  connects = 0;
  drops = 0;
  /** Server `error` messages (there should be none). */
  errors: string[] = [];
  private ws: WebSocket | undefined;
  private stopped = false;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setInterval> | undefined;
  private failures = 0;
  private readonly baseUrl: string;

  constructor(baseUrl: string, spec: ClientSpec) {
    this.baseUrl = baseUrl;
    this.spec = spec;
  }

  start(): void {
    this.connect();
    this.ackTimer = setInterval(() => {
      if (this.ws?.readyState === WebSocket.OPEN && this.cursor > 0)
        this.ws.send(JSON.stringify({ type: 'ack', seq: this.cursor }));
    }, ACK_EVERY_MS);
  }

  /** Drops the connection abruptly (no close handshake) and comes back after `afterMs` with the cursor. */
  drop(afterMs: number): void {
    if (this.stopped || !this.ws) return;
    this.drops++;
    const ws = this.ws;
    this.ws = undefined;
    ws.removeAllListeners();
    ws.on('error', () => undefined);
    ws.terminate();
    this.schedule(afterMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.ackTimer);
    this.ws?.removeAllListeners();
    this.ws?.on('error', () => undefined);
    this.ws?.terminate();
  }

  /** True when the client has every one of these ids. */
  has(ids: Iterable<string>): boolean {
    for (const id of ids) if (!this.received.has(id)) return false;
    return true;
  }

  private url(): string {
    const q = new URLSearchParams({ after: String(this.cursor) });
    if (this.spec.severities) q.set('severity', this.spec.severities.join(','));
    return `${this.baseUrl.replace(/^http/, 'ws')}/api/rooms/${this.spec.room}/ws?${q}`;
  }

  private schedule(ms: number): void {
    clearTimeout(this.reconnectTimer);
    if (!this.stopped) this.reconnectTimer = setTimeout(() => this.connect(), ms);
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url(), { headers: { authorization: `Bearer ${this.spec.token}` } });
    this.ws = ws;
    ws.on('open', () => {
      this.connects++;
      this.failures = 0;
    });
    ws.on('message', (data) => {
      const m = parseServerMessage(data.toString());
      if (m) this.onMessage(m); // a change the reader refuses counts as not received: the soak's check sees it
    });
    ws.on('error', () => undefined); // 'close' follows
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      // The Worker restarting, a room draining, a refused upgrade: back off a little and resume.
      this.failures++;
      this.schedule(backoffMs(this.failures, RECONNECT_BACKOFF));
    });
  }

  private onMessage(m: ServerMessage): void {
    if (m.type === 'events') {
      for (const change of m.events) {
        if (change.seq <= this.cursor) this.outOfOrder++;
        this.cursor = Math.max(this.cursor, change.seq);
        this.received.set(change.id, (this.received.get(change.id) ?? 0) + 1);
      }
    } else if (m.type === 'error') {
      this.errors.push(`${m.code}: ${m.message}`);
    } else if (m.type === 'reconnect') {
      // The room asks us to come back later (drain, slow consumer): honour it.
      const ws = this.ws;
      this.ws = undefined;
      ws?.removeAllListeners();
      ws?.on('error', () => undefined);
      ws?.close();
      this.schedule(m.afterMs);
    }
  }
}
