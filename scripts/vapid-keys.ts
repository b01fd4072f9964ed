/**
 * `bash scripts/node22.sh node scripts/vapid-keys.ts`: prints a fresh VAPID key pair (P-256, RFC 8292)
 * for Web Push (docs/push.md, "Keys"), offline, with node:crypto. VAPID_PUBLIC_KEY is the
 * base64url uncompressed point (65 bytes) browsers take as `applicationServerKey`; VAPID_PRIVATE_KEY
 * the base64url private scalar (32 bytes), a secret: `wrangler secret put VAPID_PRIVATE_KEY --env <env>`.
 */
import { generateKeyPairSync } from 'node:crypto';

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pub = publicKey.export({ format: 'jwk' });
const priv = privateKey.export({ format: 'jwk' });
const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x!, 'base64url'), Buffer.from(pub.y!, 'base64url')]);
console.log(`VAPID_PUBLIC_KEY=${point.toString('base64url')}`);
console.log(`VAPID_PRIVATE_KEY=${priv.d}`);
