/**
 * Per-token budgets: one Durable Object per token `sub` (idFromName; stub.ts), so every limit holds across
 * isolates and colos instead of per isolate. It keeps two kinds of thing (docs/security.md#limits-that-hold):
 *
 *  - **Buckets** (rates): token buckets by name (`writes`, `search`, `export`), each refilled at
 *    its per-minute rate with a minute's worth of burst. A request takes what it costs (a
 *    500-event POST takes 500 of `writes`). Buckets live in memory: an object is evicted only
 *    after it has been idle for a while, and an idle bucket refills anyway, so losing one only
 *    ever errs towards allowing.
 *  - **Leases** (things open at once: long-polls, room connections), in storage, so that an
 *    eviction does not forget what is open. A long-poll's lease expires by itself; a room
 *    connection's is released by its room when it closes. A lease whose release was lost (a room
 *    that died with its sockets) is found out when it would refuse someone: the limiter then asks
 *    the rooms named in its leases which connections are still open and forgets the rest.
 */
import { DurableObject } from 'cloudflare:workers';
import { errorFields, log } from '../log.ts';

/** The answer of one take: allowed, or how long until `cost` tokens are back. */
export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

/** The rate budgets of a token. */
export type BucketName = 'writes' | 'search' | 'export';
/** What a token may hold open at once. */
export type LeaseKind = 'longPoll' | 'connection';

/** One thing held open. `room` (a Room object's id) lets the limiter ask whether it is still open. */
export type Lease = { id: string; expiresAt?: number; room?: string };
export type AcquireResult = { ok: true } | { ok: false; open: number };

type Bucket = { tokens: number; updatedAt: number };

export class RateLimiter extends DurableObject<Env> {
  private readonly buckets = new Map<BucketName, Bucket>();

  /**
   * Takes `cost` tokens from the `writes` bucket, which holds `perMinute` tokens and refills at
   * `perMinute` per minute (a minute's worth of burst).
   */
  async take(perMinute: number, cost = 1, now = Date.now()): Promise<TakeResult> {
    return this.takeFrom('writes', perMinute, cost, now);
  }

  /**
   * Takes `cost` tokens from the named bucket. A cost above the bucket's capacity can never be
   * met: it is refused with the time a full bucket takes to refill (the caller's message says
   * to split the request).
   */
  async takeFrom(bucket: BucketName, perMinute: number, cost = 1, now = Date.now()): Promise<TakeResult> {
    const capacity = Math.max(1, perMinute);
    const perMs = capacity / 60_000;
    const b = this.buckets.get(bucket);
    const tokens = b === undefined ? capacity : Math.min(capacity, b.tokens + Math.max(0, now - b.updatedAt) * perMs);
    this.buckets.set(bucket, { tokens, updatedAt: now });
    if (cost > capacity) return { ok: false, retryAfterSeconds: 60 };
    if (tokens >= cost) {
      this.buckets.set(bucket, { tokens: tokens - cost, updatedAt: now });
      return { ok: true, remaining: Math.floor(tokens - cost) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - tokens) / perMs / 1000)) };
  }

  /**
   * Holds one more `kind` lease when fewer than `max` are held (expired ones do not count). At the
   * cap, leases naming a room are checked with that room first: ones it no longer has are dropped.
   */
  async acquire(kind: LeaseKind, max: number, lease: Lease, now = Date.now()): Promise<AcquireResult> {
    let leases = await this.live(kind, now);
    if (leases.length >= max) leases = await this.reconcile(kind, leases);
    if (leases.length >= max) return { ok: false, open: leases.length };
    await this.ctx.storage.put(key(kind, lease.id), lease);
    return { ok: true };
  }

  /** Gives a lease back (idempotent). */
  async release(kind: LeaseKind, id: string): Promise<void> {
    await this.ctx.storage.delete(key(kind, id));
  }

  /** How many `kind` leases are held now (tests, diagnostics). */
  async held(kind: LeaseKind, now = Date.now()): Promise<number> {
    return (await this.live(kind, now)).length;
  }

  private async live(kind: LeaseKind, now: number): Promise<Lease[]> {
    const stored = await this.ctx.storage.list<Lease>({ prefix: `${kind}:` });
    const out: Lease[] = [];
    const expired: string[] = [];
    for (const [k, lease] of stored) {
      if (lease.expiresAt !== undefined && lease.expiresAt <= now) expired.push(k);
      else out.push(lease);
    }
    if (expired.length > 0) await this.ctx.storage.delete(expired);
    return out;
  }

  /** Asks each room named by a lease which of its connections are still open; forgets the others. */
  private async reconcile(kind: LeaseKind, leases: Lease[]): Promise<Lease[]> {
    const byRoom = new Map<string, Lease[]>();
    for (const l of leases) if (l.room) byRoom.set(l.room, [...(byRoom.get(l.room) ?? []), l]);
    if (byRoom.size === 0) return leases;
    const gone: Lease[] = [];
    await Promise.all(
      [...byRoom].map(async ([room, held]) => {
        try {
          const open = new Set(
            await this.env.ROOMS.get(this.env.ROOMS.idFromString(room)).openConnections(held.map((l) => l.id)),
          );
          for (const l of held) if (!open.has(l.id)) gone.push(l);
        } catch (err) {
          // an unreachable room keeps its leases this time: erring towards the cap, never past it
          log('warn', 'limiter could not check a room', { room, ...errorFields(err) });
        }
      }),
    );
    if (gone.length === 0) return leases;
    await this.ctx.storage.delete(gone.map((l) => key(kind, l.id)));
    const dropped = new Set(gone);
    return leases.filter((l) => !dropped.has(l));
  }
}

function key(kind: LeaseKind, id: string): string {
  return `${kind}:${id}`;
}
