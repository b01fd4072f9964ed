/**
 * The Quaycast Worker entry: the Hono app's fetch handler and the Durable Object classes.
 * (The main module may export only handlers and classes.)
 */
import { app } from './app.ts';

export { Room } from './room.ts';

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
