/**
 * Sending Web Push (docs/push.md): the recorded notifications to the subscriptions their
 * recipients reach, each encrypted for its browser as RFC 8291 (aes128gcm) and signed with the
 * VAPID key (RFC 8292) by @block65/webcrypto-web-push (Web Crypto only; runs in workerd). Best
 * effort, off the rule runner's path: the Inbox Durable Object runs it in `waitUntil` after a ring
 * (worker/rules/inbox.ts). 404/410 from the push service delete the subscription; any other
 * failure keeps it (counted in `failures`) and is not retried: the bell has the notification.
 */
import { buildPushPayload } from '@block65/webcrypto-web-push';
import { isRole, roleAtLeast } from '../../protocol/roles.ts';
import { LOOPBACK_HOSTS } from '../../protocol/schemas/push.ts';
import { getConfig, type PushConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { type PushOutcome, type PushTarget, pushTargets, recordPushOutcomes } from '../db/push.ts';
import type { NotificationInsert } from '../db/rules.ts';
import { errorFields, log } from '../log.ts';
import { PUSH_TTL_SECONDS, pushPayload, pushTopic, pushUrgency } from './payload.ts';

/** Pushes one send handles at most (the rest are dropped, logged), and at once. */
export const MAX_PUSHES = 500;
export const PARALLEL_PUSHES = 8;
/** How long one push service may take to answer. */
export const PUSH_TIMEOUT_MS = 10_000;

type Enabled = Extract<PushConfig, { enabled: true }>;

/** One push's HTTP request: the endpoint, headers (VAPID, encoding, TTL, Urgency, Topic) and the encrypted body. */
export async function buildPushRequest(
  vapid: Enabled,
  target: Pick<PushTarget, 'endpoint' | 'p256dh' | 'auth'>,
  n: Pick<NotificationInsert, 'id' | 'title' | 'severity' | 'eventId' | 'category'>,
): Promise<{ endpoint: string; headers: Record<string, string>; body: Uint8Array }> {
  const url = new URL(target.endpoint);
  // The library signs for https endpoints only (RFC 8030 push resources are https). A loopback
  // http endpoint (development, the integration test's local push service) is signed as its
  // https twin: the JWT's aud is https://<host:port>; nothing else differs.
  if (url.protocol === 'http:' && (LOOPBACK_HOSTS as readonly string[]).includes(url.hostname)) url.protocol = 'https:';
  const { headers, body } = await buildPushPayload(
    {
      data: pushPayload(n),
      options: { ttl: PUSH_TTL_SECONDS, urgency: pushUrgency(n.severity), topic: await pushTopic(n.id) },
    },
    { endpoint: url.href, expirationTime: null, keys: { p256dh: target.p256dh, auth: target.auth } },
    { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateKey },
  );
  return { endpoint: target.endpoint, headers: { ...headers }, body };
}

/** What a push service's status means for the subscription (RFC 8030 §6.2, §8.3). */
export function outcomeOf(status: number | null): PushOutcome['result'] {
  if (status !== null && status >= 200 && status < 300) return 'delivered';
  if (status === 404 || status === 410) return 'gone';
  return 'failed';
}

/**
 * Pushes these notifications to every subscription their recipients reach, once per
 * subscription and notification (a user reached as `user:` and as `role:` gets it once). Never
 * throws: for `waitUntil`.
 */
export async function pushNotifications(env: Env, notifications: readonly NotificationInsert[]): Promise<void> {
  const config = getConfig(env).push;
  if (!config.enabled || notifications.length === 0) return;
  try {
    const db = createDb(env.DB);
    const targets = await pushTargets(db, [...new Set(notifications.map((n) => n.recipient))]);
    const sends: { target: PushTarget; n: NotificationInsert }[] = [];
    const seen = new Set<string>();
    for (const n of notifications)
      for (const t of targets) {
        if (!reaches(t, n.recipient)) continue;
        // One push per subscription per rule firing on an event, whoever it was addressed to.
        const key = `${t.endpoint}\n${n.ruleId}\n${n.eventId}\n${n.kind}\n${n.title}`;
        if (seen.has(key)) continue;
        seen.add(key);
        sends.push({ target: t, n });
      }
    if (sends.length > MAX_PUSHES)
      log('warn', 'web push: too many pushes at once, some dropped', { pushes: sends.length, kept: MAX_PUSHES });
    const todo = sends.slice(0, MAX_PUSHES);
    const outcomes = new Map<string, PushOutcome['result']>();
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const { target, n } = todo[next++]!;
        const { status, error, latencyMs } = await sendOne(config, target, n);
        const result = outcomeOf(status);
        // A subscription's last word wins, except that gone stays gone.
        if (outcomes.get(target.endpoint) !== 'gone') outcomes.set(target.endpoint, result);
        if (result !== 'delivered')
          log('warn', 'web push failed', {
            notification: n.id,
            user: target.userSub,
            service: new URL(target.endpoint).host,
            status,
            error,
            result,
            latencyMs,
          });
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PUSHES, todo.length) }, worker));
    await recordPushOutcomes(
      db,
      [...outcomes].map(([endpoint, result]) => ({ endpoint, result })),
      Date.now(),
    );
    log('info', 'web push', {
      notifications: notifications.length,
      pushes: todo.length,
      delivered: [...outcomes.values()].filter((r) => r === 'delivered').length,
      removed: [...outcomes.values()].filter((r) => r === 'gone').length,
    });
  } catch (err) {
    log('error', 'web push run failed', errorFields(err));
  }
}

/** True when the subscription answers to this recipient (as worker/db/rules.ts, recipientsOf). */
function reaches(t: PushTarget, recipient: string): boolean {
  if (recipient === `user:${t.userSub}`) return true;
  const role = recipient.startsWith('role:') ? recipient.slice(5) : undefined;
  return isRole(role) && isRole(t.role) && roleAtLeast(t.role, role);
}

async function sendOne(
  config: Enabled,
  target: PushTarget,
  n: NotificationInsert,
): Promise<{ status: number | null; error: string | null; latencyMs: number }> {
  const started = Date.now();
  try {
    const req = await buildPushRequest(config, target, n);
    const res = await fetch(req.endpoint, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return { status: res.status, error: res.ok ? null : `HTTP ${res.status}`, latencyMs: Date.now() - started };
  } catch (err) {
    return {
      status: null,
      error: err instanceof Error ? err.message.slice(0, 200) : 'failed',
      latencyMs: Date.now() - started,
    };
  }
}
