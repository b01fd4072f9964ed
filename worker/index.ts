/**
 * The Quaycast Worker entry: the Hono app's fetch handler and the Durable Object classes.
 * (The main module may export only handlers and classes.)
 */
import { app } from './app.ts';
import { runRetention } from './retention.ts';

export { Room } from './room/room.ts';
export { RateLimiter } from './limiter/rate-limiter.ts';
export { OutboxBell } from './outbox/bell.ts';

export default {
  fetch: app.fetch,
  /** The cron trigger (wrangler.toml [env.X.triggers]): bounded retention of old events. */
  async scheduled(controller, env) {
    await runRetention(env, controller);
  },
} satisfies ExportedHandler<Env>;
