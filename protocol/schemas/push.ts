/**
 * The zod schema of a browser's PushSubscription as `PushSubscription.toJSON()` gives it
 * (docs/push.md): POST /api/push/subscriptions takes it. Everything is bounded: the endpoint is an
 * https URL (http only to a loopback host, and the Worker accepts that only in development), the
 * keys are base64url (padding optional), `p256dh` decodes to a 65-byte uncompressed P-256 point
 * (0x04 ‖ x ‖ y; that it lies on the curve the Worker checks with Web Crypto), `auth` to 16 bytes.
 * Pure and synchronous: runs in workerd, Node and the browser.
 */
import { z } from 'zod';
import * as base64url from 'jose/base64url';

/** Longest endpoint accepted (push services' are ~100–400 characters). */
export const MAX_ENDPOINT_CHARS = 2048;
/** Hosts a plain-http endpoint may name (development and the integration test only). */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'] as const;

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** The bytes of a base64url string, or undefined when it is not one. Never throws. */
export function base64UrlBytes(text: string): Uint8Array | undefined {
  if (text.length > 200 || !BASE64URL.test(text)) return undefined;
  try {
    return base64url.decode(text.replace(/=+$/, ''));
  } catch {
    return undefined; // a length no base64 has (4n + 1), or bits past the end
  }
}

/** The endpoint's URL when it is one a subscription may name, else undefined. */
export function endpointUrl(text: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.username || url.password) return undefined;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (LOOPBACK_HOSTS as readonly string[]).includes(url.hostname)) return url;
  return undefined;
}

const key = (bytes: number, what: string, check: (b: Uint8Array) => boolean = () => true) =>
  z
    .string()
    .max(200)
    .refine(
      (s) => {
        const b = base64UrlBytes(s);
        return b !== undefined && b.length === bytes && check(b);
      },
      { message: `must be base64url of ${what}` },
    );

export const PushSubscriptionSchema = z.strictObject({
  endpoint: z
    .string()
    .max(MAX_ENDPOINT_CHARS)
    .refine((s) => endpointUrl(s) !== undefined, {
      message: 'must be an https URL without credentials (http only to a loopback host, in development)',
    }),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: key(65, 'a 65-byte uncompressed P-256 point (0x04 first)', (b) => b[0] === 4),
    auth: key(16, '16 bytes'),
  }),
});
export type PushSubscriptionInput = z.infer<typeof PushSubscriptionSchema>;

/** DELETE /api/push/subscriptions: the endpoint to forget. */
export const PushUnsubscribeSchema = z.strictObject({ endpoint: z.string().min(1).max(MAX_ENDPOINT_CHARS) });
