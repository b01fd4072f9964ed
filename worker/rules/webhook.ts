/**
 * Webhook delivery (docs/rules.md, "Webhooks"): the signature (HMAC-SHA256 over `<t>.<raw body>`
 * with Web Crypto), one attempt with a timeout, and what its answer means for the delivery
 * (delivered, retry when, failed, target disabled). The schedule itself is the runner's.
 */
import { WEBHOOK_HEADERS, signatureHeader, signedPayload } from '../../protocol/rules.ts';
import type { AttemptOutcome } from '../db/rules.ts';
import type { WebhookDeliveryRow } from '../db/schema.ts';

/** Longest an attempt waits for the answer. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Longest delay between two attempts. */
export const MAX_BACKOFF_MS = 60 * 60 * 1000;
/** Bounds of a Retry-After that is honoured. */
export const MIN_RETRY_AFTER_MS = 1000;
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;
/** Characters of the answer's body kept with the attempt. */
export const RESPONSE_EXCERPT_CHARS = 512;

const utf8 = new TextEncoder();

/** A new webhook signing secret (`whsec_` + 32 random bytes, hex). */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The signature header for `rawBody` at `timestampSeconds`. */
export async function sign(secret: string, timestampSeconds: number, rawBody: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', utf8.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, utf8.encode(signedPayload(timestampSeconds, rawBody))),
  );
  return signatureHeader(timestampSeconds, [...mac].map((b) => b.toString(16).padStart(2, '0')).join(''));
}

/**
 * The delay before attempt `attempt + 1` (after `attempt` failed ones): Retry-After when the
 * answer had a usable one, else full jitter over `min(base × 2^(attempt−1), MAX_BACKOFF_MS)`.
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  now: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const honoured = parseRetryAfter(retryAfter, now);
  if (honoured !== undefined) return honoured;
  const cap = Math.min(baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30), MAX_BACKOFF_MS);
  return Math.max(1, Math.round(cap * random()));
}

/** Retry-After as a delay (seconds or an HTTP date), clamped to [MIN, MAX]; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  let ms: number;
  if (/^\d{1,10}$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (!Number.isFinite(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, MIN_RETRY_AFTER_MS), MAX_RETRY_AFTER_MS);
}

/** What one answer (or no answer) means for the delivery. */
export function judgeAttempt(
  answer: { status: number; retryAfter: string | null } | { error: string },
  delivery: Pick<WebhookDeliveryRow, 'attempts'>,
  opts: { now: number; baseMs: number; maxAttempts: number; random?: () => number },
): Pick<AttemptOutcome, 'state' | 'nextAttemptAt' | 'disableTarget'> {
  if ('status' in answer && answer.status >= 200 && answer.status < 300)
    return { state: 'delivered', nextAttemptAt: null };
  if ('status' in answer && answer.status === 410)
    return { state: 'disabled', nextAttemptAt: null, disableTarget: 'the receiver answered 410 Gone' };
  const attempts = delivery.attempts + 1;
  if (attempts >= opts.maxAttempts) return { state: 'failed', nextAttemptAt: null };
  const retryAfter = 'status' in answer ? answer.retryAfter : null;
  return {
    state: 'pending',
    nextAttemptAt: opts.now + retryDelayMs(attempts, retryAfter, opts.now, opts.baseMs, opts.random),
  };
}

/** The headers that sign one attempt of a delivery at `at` (ms): a rule's, or a DCSA subscription's. */
export type AttemptSigner = (delivery: WebhookDeliveryRow, at: number) => Promise<Record<string, string>>;

/** A rule's webhook headers: its delivery id and the `t=…,v1=…` signature (docs/rules.md). */
export const ruleSigner =
  (secret: string): AttemptSigner =>
  async (delivery, at) => ({
    'user-agent': 'Quaycast-Webhook/1',
    [WEBHOOK_HEADERS.delivery]: delivery.id,
    [WEBHOOK_HEADERS.signature]: await sign(secret, Math.floor(at / 1000), delivery.body),
  });

/** One attempt: POSTs the delivery's exact body, signed now, and judges the answer. */
export async function attemptDelivery(
  delivery: WebhookDeliveryRow,
  signer: AttemptSigner,
  opts: { baseMs: number; maxAttempts: number; fetcher?: typeof fetch },
): Promise<AttemptOutcome> {
  const at = Date.now();
  const signed = await signer(delivery, at);
  let answer: { status: number; retryAfter: string | null } | { error: string };
  let response: string | null = null;
  try {
    const res = await (opts.fetcher ?? fetch)(delivery.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
    });
    response = await readExcerpt(res);
    answer = { status: res.status, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    answer = { error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 300) : 'request failed' };
  }
  const latencyMs = Date.now() - at;
  const judged = judgeAttempt(answer, delivery, { now: Date.now(), ...opts });
  return {
    at,
    status: 'status' in answer ? answer.status : null,
    latencyMs,
    error: 'error' in answer ? answer.error : null,
    response,
    ...judged,
  };
}

/** The first RESPONSE_EXCERPT_CHARS of an answer's body, reading no more than a few KiB of it. */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // a body cut off mid-way: the excerpt is what arrived
  } finally {
    reader.cancel().catch(() => {}); // the rest is not needed; a cancel that fails changes nothing
  }
  return text.slice(0, RESPONSE_EXCERPT_CHARS);
}
