/**
 * The changefeed guard, in a module with no runtime imports so the dashboard's main bundle can
 * use it without pulling in zod (protocol/event.ts re-exports it).
 */
import type { Change, Tombstone } from './event.ts';

/** True for a delete in a room's changefeed (`{ id, seq, deleted: true }`). */
export function isTombstone(c: Change): c is Tombstone {
  return 'deleted' in c && c.deleted === true;
}
