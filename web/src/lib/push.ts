/**
 * Web Push from the dashboard's side (docs/push.md): whether this browser can, and subscribe or
 * unsubscribe it for the signed-in user. Subscribing asks the API for the VAPID key
 * (GET /api/push/key), subscribes through the service worker (`pushManager.subscribe`, user
 * visible only) and saves the subscription (POST /api/push/subscriptions); unsubscribing deletes
 * it there and in the browser. The UI calls these from a user gesture (the permission prompt).
 */

/** Where this browser stands: no Push API, push off on the server, permission denied, not subscribed, subscribed. */
export type PushState = 'unsupported' | 'disabled' | 'denied' | 'off' | 'on';

export type PushOptions = { token: () => string | undefined; baseUrl?: string; fetchImpl?: typeof fetch };

/** True when this browser has service workers, the Push API and notifications. */
export function pushSupported(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    'serviceWorker' in navigator &&
    typeof window !== 'undefined' &&
    'PushManager' in window &&
    'Notification' in window
  );
}

/** base64url → bytes (the VAPID key as `applicationServerKey`). */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function call(opts: PushOptions, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = opts.token();
  if (token) headers.authorization = `Bearer ${token}`;
  return (opts.fetchImpl ?? fetch)(`${opts.baseUrl ?? ''}${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function publicKey(opts: PushOptions): Promise<string | undefined> {
  const res = await call(opts, 'GET', '/api/push/key');
  if (!res.ok) throw new Error(`GET /api/push/key answered ${res.status}`);
  const body = (await res.json()) as { enabled: boolean; publicKey: string | null };
  return body.enabled && body.publicKey ? body.publicKey : undefined;
}

/** This browser's state, without prompting. */
export async function pushStatus(opts: PushOptions): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (!(await publicKey(opts))) return 'disabled';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.ready;
  return (await reg.pushManager.getSubscription()) ? 'on' : 'off';
}

/** Subscribes this browser (asks for permission if needed) and saves it for the user. */
export async function subscribePush(opts: PushOptions): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const key = await publicKey(opts);
  if (!key) return 'disabled';
  if ((await Notification.requestPermission()) !== 'granted') return 'denied';
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  // A subscription made with another key (the server's key was rotated) cannot be pushed to.
  const current = sub?.options.applicationServerKey;
  if (sub && current && !sameBytes(new Uint8Array(current), base64UrlToBytes(key))) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) });
  const res = await call(opts, 'POST', '/api/push/subscriptions', sub.toJSON());
  if (!res.ok) throw new Error(`POST /api/push/subscriptions answered ${res.status}`);
  return 'on';
}

/** Unsubscribes this browser and forgets it on the server. */
export async function unsubscribePush(opts: PushOptions): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const reg = await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.getSubscription();
  if (sub) {
    const res = await call(opts, 'DELETE', '/api/push/subscriptions', { endpoint: sub.endpoint });
    if (!res.ok && res.status !== 404) throw new Error(`DELETE /api/push/subscriptions answered ${res.status}`);
    await sub.unsubscribe();
  }
  return 'off';
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
