import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PushSubscriptionSchema, base64UrlBytes, endpointUrl } from './push.ts';

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const point = fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => new Uint8Array([4, ...b]));
const auth = fc.uint8Array({ minLength: 16, maxLength: 16 });
const endpoint = fc.webUrl({ validSchemes: ['https'], withQueryParameters: true, withFragments: false });

describe('protocol > push subscription schema', () => {
  it('never throws on hostile input, and what passes is bounded and well-formed', () => {
    const hostile = fc.oneof(
      fc.anything(),
      fc.record({
        endpoint: fc.oneof(fc.string(), fc.webUrl(), endpoint),
        keys: fc.oneof(
          fc.anything(),
          fc.record({
            p256dh: fc.oneof(fc.string(), fc.base64String(), point.map(b64u)),
            auth: fc.oneof(fc.string(), fc.base64String(), auth.map(b64u)),
          }),
        ),
      }),
    );
    fc.assert(
      fc.property(hostile, (value) => {
        const r = PushSubscriptionSchema.safeParse(value);
        if (!r.success) return;
        expect(r.data.endpoint.length).toBeLessThanOrEqual(2048);
        expect(endpointUrl(r.data.endpoint)).toBeDefined();
        expect(base64UrlBytes(r.data.keys.p256dh)?.length).toBe(65);
        expect(base64UrlBytes(r.data.keys.p256dh)?.[0]).toBe(4);
        expect(base64UrlBytes(r.data.keys.auth)?.length).toBe(16);
      }),
      { numRuns: 500 },
    );
  });

  it('passes exactly the keys of the right lengths (p256dh: 65 bytes, 0x04 first; auth: 16 bytes)', () => {
    fc.assert(
      fc.property(
        endpoint,
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 24 }),
        fc.boolean(),
        (url, p, a, pad) => {
          const enc = (b: Uint8Array) => {
            const s = b64u(b);
            return pad ? s + '='.repeat((4 - (s.length % 4)) % 4) : s;
          };
          const ok = p.length === 65 && p[0] === 4 && a.length === 16;
          const r = PushSubscriptionSchema.safeParse({ endpoint: url, keys: { p256dh: enc(p), auth: enc(a) } });
          expect(r.success).toBe(ok && url.length <= 2048);
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(endpoint, point, auth, (url, p, a) => {
        expect(
          PushSubscriptionSchema.safeParse({
            endpoint: url,
            expirationTime: null,
            keys: { p256dh: b64u(p), auth: b64u(a) },
          }).success,
        ).toBe(url.length <= 2048);
      }),
    );
  });

  it('takes https endpoints, and plain http only to a loopback host; never credentials', () => {
    expect(endpointUrl('https://fcm.googleapis.com/fcm/send/abc')).toBeDefined();
    expect(endpointUrl('http://127.0.0.1:9000/push')).toBeDefined();
    expect(endpointUrl('http://localhost/push')).toBeDefined();
    expect(endpointUrl('http://push.example.com/x')).toBeUndefined();
    expect(endpointUrl('https://u:p@push.example.com/x')).toBeUndefined();
    expect(endpointUrl('javascript:alert(1)')).toBeUndefined();
    expect(endpointUrl('not a url')).toBeUndefined();
  });

  it('decodes base64url with or without padding, and refuses anything else', () => {
    expect(base64UrlBytes('AQID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(base64UrlBytes('-_8')).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64UrlBytes('-_8=')).toEqual(new Uint8Array([0xfb, 0xff]));
    for (const bad of ['', 'A', 'AQ+D', 'AQ/D', 'A=Q', 'AQ==='.padEnd(10, '='), 'ä', 'A'.repeat(201)])
      expect(base64UrlBytes(bad), bad).toBeUndefined();
  });
});
