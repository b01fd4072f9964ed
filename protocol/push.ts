/**
 * The JSON a Web Push carries (docs/push.md, "Payload"), shared by the Worker that sends it
 * (worker/push/payload.ts) and the service worker that shows it (web/src/sw-push.ts). Zod-free.
 */
export type PushPayload = {
  /** The notification's id: the shown notification's `tag` (a push sent again replaces it) and, hashed, the push `Topic`. */
  id: string;
  title: string;
  severity: string;
  eventId: string;
  category: string;
  /** Where a click opens the dashboard: a path of the dashboard's origin (`/?event=<id>&category=<c>`). */
  url: string;
};
