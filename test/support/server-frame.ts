/**
 * The strict reading of room frames that every test client shares (workerd and integration
 * alike: no runtime imports but the contract's own).
 */
import type { ServerMessage } from '../../protocol/room.ts';
import { toServerMessage } from '../../protocol/server-message.ts';

/** JSON with every object's keys sorted, so two values compare by content, not key order. */
function canonicalJson(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sorted(value));
}

/**
 * A frame a room sent, read as every client reads it (protocol/server-message.ts). Undefined
 * for text that is not JSON (the `pong` auto-response); throws when the reader refuses the frame
 * or would change it — the server and the contract's reader have drifted apart — so every room
 * test doubles as a check of the reader against the real rooms.
 */
export function readServerFrame(text: string): ServerMessage | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const m = toServerMessage(data);
  if (!m || canonicalJson(m) !== canonicalJson(data)) {
    throw new Error(
      `the room sent a frame protocol/server-message.ts ${m ? 'reads differently' : 'refuses'}: ${text.slice(0, 300)}`,
    );
  }
  return m;
}
