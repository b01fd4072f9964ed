/**
 * Web Push on real parts (docs/push.md): the Worker under `wrangler dev` with a VAPID key pair
 * made here, a local HTTP "push service" as the subscriptions' endpoint (plain http to 127.0.0.1,
 * which the Worker accepts in development only), browser-side keys made here with node:crypto as
 * a browser would. A rule notifies a user and a role; each push request is checked independently
 * of the code that made it: the VAPID JWT with `jose` (ES256, aud, exp ≤ 24 h, sub, the `k` key),
 * the body decrypted with `http_ece` (RFC 8188/8291 aes128gcm, by the RFC's author) and again by
 * RFC 8291 written out in Python (`cryptography`), and its JSON read. A viewer's subscription is not reached by a `role:operator` notification; a user reached
 * by sub and by role gets one push; a 410 from the push service deletes the subscription.
 */
import { execFileSync } from 'node:child_process';
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import ece from 'http_ece';
import { importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/free-port.ts';
import { tokenFor } from '../support/fixture.ts';
import { until } from '../support/wait.ts';
import { startWorker, type WorkerHost } from '../support/worker.ts';

type Captured = { path: string; headers: IncomingHttpHeaders; body: Buffer };

/** A push service on 127.0.0.1: records each request's bytes and answers per path (default 201). */
async function startPushService() {
  const port = await freePort();
  const requests: Captured[] = [];
  const answers = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answers.get(path) ?? 201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (path: string, status: number) => answers.set(path, status),
    to: (path: string) => requests.filter((r) => r.path === path),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A browser's side of a subscription: its P-256 key pair and 16-byte auth secret. */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, json: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } };
}

/** A VAPID key pair as scripts/vapid-keys.ts makes it. */
function vapidKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, 'base64url'), Buffer.from(pub.y!, 'base64url')]);
  return { publicKey: point.toString('base64url'), privateKey: privateKey.export({ format: 'jwk' }).d! };
}

const VAPID = vapidKeys();
const SUBJECT = 'mailto:ops@quaycast.test';
let worker: WorkerHost;
let service: Awaited<ReturnType<typeof startPushService>>;

beforeAll(async () => {
  service = await startPushService();
  worker = await startWorker({
    vars: {
      VAPID_PUBLIC_KEY: VAPID.publicKey,
      VAPID_PRIVATE_KEY: VAPID.privateKey,
      VAPID_SUBJECT: SUBJECT,
      WEBHOOK_BACKOFF_BASE_MS: '400',
    },
  });
});
afterAll(async () => {
  await worker?.stop();
  await service?.close();
});

async function call(
  role: 'viewer' | 'producer' | 'operator' | 'admin',
  sub: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(role, sub)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

/** The VAPID header checked with jose, independently of the Worker's signing code. */
async function verifyVapid(req: Captured) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(req.headers.authorization));
  expect(m, String(req.headers.authorization)).not.toBeNull();
  const [, jwt, k] = m!;
  expect(k).toBe(VAPID.publicKey);
  const point = Buffer.from(k!, 'base64url');
  const key = await importJWK(
    {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    'ES256',
  );
  // The endpoint is http://127.0.0.1:<port> (development only); the Worker signs it as its https twin.
  const audience = service.url.replace(/^http:/, 'https:');
  const { payload, protectedHeader } = await jwtVerify(jwt!, key, { algorithms: ['ES256'], audience });
  expect(protectedHeader.alg).toBe('ES256');
  expect(payload.sub).toBe(SUBJECT);
  const now = Math.floor(Date.now() / 1000);
  expect(payload.exp).toBeGreaterThan(now);
  expect(payload.exp! - now).toBeLessThanOrEqual(24 * 60 * 60);
}

/** The body decrypted with http_ece (aes128gcm), as the browser would with its private key. */
function decrypt(req: Captured, keys: ReturnType<typeof browserKeys>): Record<string, unknown> {
  expect(req.headers['content-encoding']).toBe('aes128gcm');
  const plain = ece.decrypt(req.body, { version: 'aes128gcm', privateKey: keys.ecdh, authSecret: keys.json.auth });
  return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
}

/**
 * RFC 8291 §3.4 + RFC 8188 §2 written out in Python with the `cryptography` package: a third
 * implementation, sharing nothing with the Worker's library or http_ece. One record (a push is).
 */
const PYTHON_DECRYPT = `
import sys, base64
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
def b64u(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
def hkdf(salt, ikm, info, n): return HKDF(hashes.SHA256(), n, salt, info).derive(ikm)
ua_private = ec.derive_private_key(int(sys.argv[1], 16), ec.SECP256R1())
ua_public = ua_private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
auth = b64u(sys.argv[2])
body = sys.stdin.buffer.read()
salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
as_public = body[21:21 + idlen]
ciphertext = body[21 + idlen:]
assert idlen == 65 and len(ciphertext) <= rs
shared = ua_private.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public))
ikm = hkdf(auth, shared, b"WebPush: info\\x00" + ua_public + as_public, 32)
cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\\x00", 16)
nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\\x00", 12)
padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\\x00")
assert padded[-1:] == b"\\x02", "not the last record"
sys.stdout.buffer.write(padded[:-1])
`;
function decryptWithPython(req: Captured, keys: ReturnType<typeof browserKeys>): Record<string, unknown> {
  const out = execFileSync('python3', ['-c', PYTHON_DECRYPT, keys.ecdh.getPrivateKey('hex'), keys.json.auth], {
    input: req.body,
  });
  return JSON.parse(out.toString('utf8')) as Record<string, unknown>;
}

const subscriptions = () =>
  worker.query<{ endpoint: string; user_sub: string; failures: number; last_success_at: number | null }>(
    'SELECT endpoint, user_sub, failures, last_success_at FROM push_subscriptions ORDER BY endpoint',
  );

describe('push > on real parts', () => {
  it('pushes a rule notification, VAPID-signed and RFC 8291-encrypted, to the recipients’ subscriptions; a 410 deletes one', async () => {
    const key = await call('viewer', 'it-push-viewer', 'GET', '/api/push/key');
    expect(key).toEqual({ status: 200, json: { enabled: true, publicKey: VAPID.publicKey } });

    const op = browserKeys();
    const admin = browserKeys();
    const viewer = browserKeys();
    for (const [role, sub, path, keys] of [
      ['operator', 'it-push-op', '/push/op', op],
      ['admin', 'it-push-admin', '/push/admin', admin],
      ['viewer', 'it-push-viewer', '/push/viewer', viewer],
    ] as const) {
      const res = await call(role, sub, 'POST', '/api/push/subscriptions', {
        endpoint: `${service.url}${path}`,
        expirationTime: null,
        keys: keys.json,
      });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
    }

    const type = `PushProbe-${Date.now()}`;
    const rule = await call('operator', 'it-push-op', 'POST', '/api/rules', {
      name: 'reefer push',
      match: { eventTypes: [type], severities: ['Critical'] },
      actions: [{ type: 'notify', users: ['it-push-op'], roles: ['operator'] }],
    });
    expect(rule.status, JSON.stringify(rule.json)).toBe(201);

    const eventId = `push-${Date.now()}`;
    const posted = await call('producer', 'it-push-producer', 'POST', '/api/events', {
      id: eventId,
      eventType: type,
      title: 'Reefer too warm',
      severity: 'Critical',
      containerId: 'MSCU1234565',
    });
    expect(posted.status).toBe(201);

    const [toOp] = await until('the operator’s push', () =>
      service.to('/push/op').length ? service.to('/push/op') : undefined,
    );
    const [toAdmin] = await until('the admin’s push (role:operator reaches the roles above)', () =>
      service.to('/push/admin').length ? service.to('/push/admin') : undefined,
    );
    for (const [req, keys] of [
      [toOp!, op],
      [toAdmin!, admin],
    ] as const) {
      await verifyVapid(req);
      expect(req.headers.ttl).toMatch(/^\d+$/);
      expect(Number(req.headers.ttl)).toBeGreaterThan(0);
      expect(req.headers.urgency).toBe('high');
      expect(req.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
      const payload = decrypt(req, keys);
      expect(decryptWithPython(req, keys)).toEqual(payload);
      expect(payload).toMatchObject({
        title: `reefer push: Reefer too warm`,
        severity: 'Critical',
        eventId,
        category: 'Container',
      });
      expect(String(payload.id)).toContain(eventId);
      expect(payload.url).toBe(`/?event=${encodeURIComponent(eventId)}&category=Container`);
      expect(Object.keys(payload).sort()).toEqual(['category', 'eventId', 'id', 'severity', 'title', 'url']);
    }
    // Keys the receiver does not hold cannot read it.
    expect(() => decrypt(toOp!, viewer)).toThrow();
    // Reached as user:it-push-op and as role:operator: one push. The viewer is below operator: none.
    await until('the outcomes recorded', () =>
      subscriptions().filter((s) => s.last_success_at !== null).length === 2 ? true : undefined,
    );
    expect(service.to('/push/op')).toHaveLength(1);
    expect(service.to('/push/viewer')).toHaveLength(0);

    // The push service says the operator's subscription is gone: it is deleted; the admin's stays.
    service.answer('/push/op', 410);
    const second = `push2-${Date.now()}`;
    expect(
      (
        await call('producer', 'it-push-producer', 'POST', '/api/events', {
          id: second,
          eventType: type,
          title: 'Reefer still too warm',
          severity: 'Critical',
          containerId: 'MSCU1234565',
        })
      ).status,
    ).toBe(201);
    await until('the 410 answered', () => (service.to('/push/op').length === 2 ? true : undefined));
    await until('the gone subscription deleted', () =>
      subscriptions().some((s) => s.user_sub === 'it-push-op') ? undefined : true,
    );
    expect(subscriptions().map((s) => s.user_sub)).toEqual(['it-push-admin', 'it-push-viewer']);
    await until('the admin’s second push', () => (service.to('/push/admin').length === 2 ? true : undefined));
    // The ops line on `wrangler tail` (stdout of wrangler dev reaches us a little later).
    await until('the 410 logged', () =>
      worker.logs.some((l) => l.includes('web push failed') && l.includes('410') && l.includes('"result":"gone"'))
        ? true
        : undefined,
    );
  });
});
