/// <reference path="../../test/support/http-ece.d.ts" />
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import ece from 'http_ece';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { PUSH_TTL_SECONDS, pushPayload, pushTopic, pushUrgency } from './payload.ts';
import { buildPushRequest, outcomeOf } from './send.ts';

const notification = {
  id: 'rule-1:evt-9:0:user:alice',
  title: 'Reefer alarm: Reefer too warm',
  severity: 'Critical',
  eventId: 'evt-9',
  category: 'Container' as const,
};

function vapid() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, 'base64url'), Buffer.from(pub.y!, 'base64url')]);
  return {
    enabled: true as const,
    publicKey: point.toString('base64url'),
    privateKey: privateKey.export({ format: 'jwk' }).d!,
    subject: 'mailto:ops@example.com',
  };
}

describe('worker > push > payload', () => {
  it('says only what the notification shows, and where a click goes', () => {
    expect(pushPayload(notification)).toEqual({
      id: notification.id,
      title: notification.title,
      severity: 'Critical',
      eventId: 'evt-9',
      category: 'Container',
      url: '/?event=evt-9&category=Container',
    });
    expect(pushPayload({ ...notification, eventId: 'a&b=c' }).url).toBe('/?event=a%26b%3Dc&category=Container');
  });

  it('is urgent for Critical and High only; the topic is a stable ≤32-character base64url', async () => {
    expect(['Critical', 'High', 'Medium', 'Low', 'Info'].map(pushUrgency)).toEqual([
      'high',
      'high',
      'normal',
      'normal',
      'normal',
    ]);
    const t = await pushTopic(notification.id);
    expect(t).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await pushTopic(notification.id)).toBe(t);
    expect(await pushTopic(`${notification.id}x`)).not.toBe(t);
  });

  it('builds a request a browser can decrypt (http_ece, aes128gcm) with a VAPID JWT for the endpoint origin', async () => {
    const keys = vapid();
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    const authSecret = randomBytes(16);
    const req = await buildPushRequest(
      keys,
      {
        endpoint: 'https://push.example.com/send/abc',
        p256dh: browser.getPublicKey().toString('base64url'),
        auth: authSecret.toString('base64url'),
      },
      notification,
    );
    expect(req.headers['content-encoding']).toBe('aes128gcm');
    expect(req.headers.ttl).toBe(String(PUSH_TTL_SECONDS));
    expect(req.headers.urgency).toBe('high');
    expect(req.headers.topic).toBe(await pushTopic(notification.id));
    const plain = ece.decrypt(Buffer.from(req.body), { version: 'aes128gcm', privateKey: browser, authSecret });
    expect(JSON.parse(plain.toString('utf8'))).toEqual(pushPayload(notification));
    const [, jwt, k] = /^vapid t=(\S+), k=(\S+)$/.exec(req.headers.authorization!)!;
    expect(k).toBe(keys.publicKey);
    expect(decodeJwt(jwt!)).toMatchObject({ aud: 'https://push.example.com', sub: keys.subject });
  });

  it('deletes on 404/410 only; 2xx delivered; anything else failed and kept', () => {
    expect([201, 202, 404, 410, 400, 413, 429, 500, 503, null].map(outcomeOf)).toEqual([
      'delivered',
      'delivered',
      'gone',
      'gone',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
  });
});
