/**
 * DCSA TNT 2.2 subscription callbacks (docs/dcsa.md, "Subscriptions"): which new events of a page
 * go to which subscription (bundled: one callback per subscription per page, the body a JSON array
 * of the original DCSA documents), and how a callback is signed: `Notification-Signature:
 * sha256=<hex HMAC-SHA256 over the exact body, keyed by the subscription's secret bytes>` with
 * `Subscription-ID` and `API-Version`. The callbacks are webhook deliveries (rule id
 * `dcsa:<subscriptionID>`), so the rule runner records, retries and prunes them like rules' webhooks.
 */
import { type DcsaSubscriptionFilters, subscriptionMatches } from '../../protocol/schemas/dcsa-subscription.ts';
import type { Category } from '../../protocol/enums.ts';
import { DCSA_API_VERSION, type DcsaEvent } from '../../protocol/schemas/dcsa.ts';
import { keptDcsaDocument } from '../../protocol/schemas/dcsa-map.ts';
import type { DeliveryInsert, FeedChange } from '../db/rules.ts';
import type { AttemptSigner } from './webhook.ts';

/** The rule id under which a subscription's callbacks are recorded. */
export const DCSA_RULE_PREFIX = 'dcsa:';
export const dcsaRuleId = (subscriptionId: string) => `${DCSA_RULE_PREFIX}${subscriptionId}`;
export const subscriptionOfRuleId = (ruleId: string): string | undefined =>
  ruleId.startsWith(DCSA_RULE_PREFIX) ? ruleId.slice(DCSA_RULE_PREFIX.length) : undefined;

/** Events per callback at most (a page has at most PAGE_CHANGES; each document at most 16 KiB). */
export const MAX_EVENTS_PER_CALLBACK = 100;

/** A subscription as the runner needs it. */
export type SubscriptionTarget = { id: string; callbackUrl: string; filters: DcsaSubscriptionFilters };

/** The kept DCSA document of a new event, or undefined (a change, a delete, or not a valid DCSA event). */
export function dcsaDocumentOf(f: FeedChange): DcsaEvent | undefined {
  return f.deleted || f.changed || !f.event ? undefined : keptDcsaDocument(f.event);
}

/**
 * The callbacks of a page: per subscription, the DCSA documents of the page's new events that it
 * matches, in seq order, in bundles of at most MAX_EVENTS_PER_CALLBACK. A bundle's id names the
 * subscription, the room and its first event's seq: recording the same page again creates nothing twice.
 */
export function pageCallbacks(
  changes: readonly FeedChange[],
  subscriptions: readonly SubscriptionTarget[],
  ctx: { category: Category; now: number },
): DeliveryInsert[] {
  const documents = changes.flatMap((f) => {
    const doc = dcsaDocumentOf(f);
    return doc ? [{ seq: f.seq, eventId: f.id, doc }] : [];
  });
  if (documents.length === 0) return [];
  const out: DeliveryInsert[] = [];
  for (const sub of subscriptions) {
    const matching = documents.filter((d) => subscriptionMatches(sub.filters, d.doc));
    for (let i = 0; i < matching.length; i += MAX_EVENTS_PER_CALLBACK) {
      const bundle = matching.slice(i, i + MAX_EVENTS_PER_CALLBACK);
      const first = bundle[0]!;
      out.push({
        id: `${dcsaRuleId(sub.id)}:${ctx.category}:${first.seq}`,
        ruleId: dcsaRuleId(sub.id),
        actionIndex: 0,
        category: ctx.category,
        eventId: first.eventId,
        url: sub.callbackUrl,
        body: JSON.stringify(bundle.map((d) => d.doc)),
        createdAt: ctx.now,
      });
    }
  }
  return out;
}

const utf8 = new TextEncoder();

/** The bytes of a base64 secret (the standard's `format: byte`). */
export function secretBytes(base64: string): Uint8Array {
  const text = atob(base64);
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/** `sha256=<hex>`: HMAC-SHA256 over the UTF-8 bytes of the exact body, keyed by the secret's bytes. */
export async function notificationSignature(secretBase64: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    secretBytes(secretBase64),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** A subscription's callback headers (TNT 2.2.0 callback parameters). */
export const dcsaSigner =
  (subscriptionId: string, secretBase64: string): AttemptSigner =>
  async (delivery) => ({
    'user-agent': 'Quaycast-DCSA/1',
    // Not of the standard: the callback's id, stable across retries (the events' own identity is eventID).
    'quaycast-delivery': delivery.id,
    'notification-signature': await notificationSignature(secretBase64, delivery.body),
    'subscription-id': subscriptionId,
    'api-version': DCSA_API_VERSION,
  });
