/**
 * The long-poll transport, the last resort when neither WebSockets nor EventSource get through:
 * `GET /api/events?category=&after=&wait=25` blocks until the room has a change after the cursor
 * (docs/rooms.md, "Long-poll"). It sends the token as a bearer header, so it works without the
 * session cookie too. A token that ended shows as a 401 at the next request.
 */
import type { Change } from '../../../../protocol/event.ts';
import { toChange } from '../../../../protocol/server-message.ts';
import type { RoomClientEnv } from './env.ts';
import {
  roomQuery,
  type Connection,
  type ConnectionListener,
  type ConnectionRequest,
  type RoomTransport,
} from './transport.ts';

export type LongPollOptions = {
  /** The `wait` of each request: how long the Worker holds it open for a change. */
  waitSeconds: number;
  /** Shortest spacing between requests that came back empty (a server ignoring `wait`). */
  minIntervalMs: number;
};

/** Most changes one answer carries (the API's `limit` bound). */
const PAGE_LIMIT = '500';

/** Polls a room's changes through the events API. */
export function longPollTransport(env: RoomClientEnv, options: LongPollOptions): RoomTransport {
  return { kind: 'poll', open: (request, listener) => new RoomPoll(request, listener, env, options) };
}

/** A 401 from the API: the token is no longer accepted. */
class TokenRefused extends Error {
  constructor() {
    super('HTTP 401');
  }
}

/** One polling loop, from its first request to its failure or close. */
class RoomPoll implements Connection {
  private readonly listener: ConnectionListener;
  private readonly env: RoomClientEnv;
  private readonly options: LongPollOptions;
  private readonly controller = new AbortController();
  private readonly headers: Record<string, string> = { accept: 'application/json' };
  private readonly base: string;
  private done = false;

  constructor(request: ConnectionRequest, listener: ConnectionListener, env: RoomClientEnv, options: LongPollOptions) {
    this.listener = listener;
    this.env = env;
    this.options = options;
    this.base = `${request.origin}/api/events`;
    if (request.token) this.headers.authorization = `Bearer ${request.token}`;
    void this.run(request);
  }

  close(): void {
    this.done = true;
    this.controller.abort();
  }

  /** The filter is in each request's URL: a new loop applies it. */
  changeFilter(): boolean {
    return false;
  }

  private async run(request: ConnectionRequest): Promise<void> {
    try {
      if (request.cursor() === undefined) {
        // Live only, like a socket without `after`: start at the room's newest change.
        const newest = await this.page(`?${new URLSearchParams({ category: request.category, limit: '1' })}`);
        if (this.done) return;
        this.listener.joinedAt(toChange(newest[0])?.seq ?? 0);
      }
      for (let first = true; !this.done; first = false) {
        const started = this.env.now();
        const data = await this.page(
          roomQuery(request, { category: request.category, wait: String(this.options.waitSeconds), limit: PAGE_LIMIT }),
        );
        if (this.done) return;
        if (first) this.listener.opened();
        const changes = data
          .map(toChange)
          .filter((c): c is Change => c !== undefined)
          .sort((a, b) => a.seq - b.seq);
        if (changes.length > 0) this.listener.message({ type: 'events', events: changes });
        else if (this.env.now() - started < this.options.minIntervalMs) {
          await new Promise<void>((r) => this.env.setTimeout(r, this.options.minIntervalMs));
        }
      }
    } catch (err) {
      if (this.done) return;
      this.done = true;
      if (err instanceof TokenRefused) this.listener.ended({ kind: 'token_expired', why: 'the token was refused' });
      else this.listener.ended({ kind: 'closed', why: `long-poll: ${(err as Error).message}` });
    }
  }

  /** One `GET /api/events` answer's `data`; throws for a refusal or an answer of another shape. */
  private async page(query: string): Promise<unknown[]> {
    const res = await this.env.fetch(`${this.base}${query}`, {
      headers: this.headers,
      signal: this.controller.signal,
      credentials: 'same-origin',
    });
    if (res.status === 401) throw new TokenRefused();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body: unknown = await res.json();
    const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
    if (!Array.isArray(data)) throw new Error('the answer is not a page of events');
    return data;
  }
}
