/**
 * What a push says (docs/push.md, "Payload"): a recorded notification as the small JSON the
 * service worker shows (web/src/sw-push.ts), its Urgency and Topic. Pure: no I/O.
 */
import type { PushPayload } from '../../protocol/push.ts';
import type { NotificationInsert } from '../db/rules.ts';

/** Seconds a push service keeps an undelivered push: after this the bell still has it. */
export const PUSH_TTL_SECONDS = 4 * 60 * 60;

/** The payload of a notification: no secrets, no event body, only what the notification shows. */
export function pushPayload(
  n: Pick<NotificationInsert, 'id' | 'title' | 'severity' | 'eventId' | 'category'>,
): PushPayload {
  const query = new URLSearchParams({ event: n.eventId, category: n.category });
  return {
    id: n.id.slice(0, 600),
    title: n.title.slice(0, 300),
    severity: n.severity,
    eventId: n.eventId,
    category: n.category,
    url: `/?${query}`,
  };
}

/** RFC 8030 §5.3: Critical and High wake the device now; the rest may wait for a good moment. */
export function pushUrgency(severity: string): 'high' | 'normal' {
  return severity === 'Critical' || severity === 'High' ? 'high' : 'normal';
}

/**
 * The push's Topic (RFC 8030 §5.4: at most 32 base64url characters): a hash of the notification
 * id, so a push sent again (at least once) replaces the undelivered one at the push service.
 */
export async function pushTopic(id: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)));
  let bin = '';
  for (const b of digest.slice(0, 24)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_');
}
