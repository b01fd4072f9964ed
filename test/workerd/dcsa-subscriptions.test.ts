/**
 * DCSA TNT 2.2 `/v2/event-subscriptions` in workerd (docs/dcsa.md, "Subscriptions"): create, read,
 * page, alter, rotate, stop; roles, scope and hostile bodies; and the runner's side: a matching new
 * DCSA event becomes one recorded callback whose body is the original documents, others none.
 * Every answer is checked against the standard's schemas (subscription, error) and carries API-Version.
 */
import { env, SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso6346CheckDigit } from '../../protocol/dcsa.ts';
import {
  DCSA_API_VERSION,
  DcsaErrorSchema,
  DcsaEventSchema,
  DcsaSubscriptionSchema,
} from '../../protocol/schemas/dcsa.ts';
import { MAX_SUBSCRIPTIONS } from '../../worker/routes/dcsa/subscriptions.ts';
import { BASE, postEvents, token } from './helpers.ts';

type Sub = { subscriptionID: string; callbackUrl: string } & Record<string, unknown>;
const SECRET = Buffer.from('a shared secret of more than 16 bytes').toString('base64');
const container = (prefix: string) => `${prefix}${iso6346CheckDigit(prefix)}`;

async function call(
  method: string,
  path: string,
  body?: unknown,
  auth: {
    role?: 'viewer' | 'producer' | 'operator' | 'admin';
    categories?: ['Container'];
    headers?: Record<string, string>;
  } = {
    role: 'operator',
  },
) {
  const headers = new Headers(auth.headers);
  if (auth.role)
    headers.set(
      'authorization',
      `Bearer ${await token(auth.role, `${auth.role}-dcsa`, auth.categories ? { categories: auth.categories } : {})}`,
    );
  if (body !== undefined) headers.set('content-type', 'application/json');
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  // Every /v2 answer: the API-Version header, and a body of the standard's shape.
  expect(res.headers.get('api-version')).toBe(DCSA_API_VERSION);
  if (res.status >= 400) {
    const parsed = DcsaErrorSchema.safeParse(json);
    expect(parsed.success, text).toBe(true);
    expect(parsed.data?.statusCode).toBe(res.status);
  }
  return { res, status: res.status, json, text };
}

async function create(body: Record<string, unknown>): Promise<Sub> {
  const { status, json, text } = await call('POST', '/v2/event-subscriptions', { secret: SECRET, ...body });
  expect(status, text).toBe(201);
  expect(DcsaSubscriptionSchema.strict().safeParse(json).success, text).toBe(true);
  return json as Sub;
}

describe('dcsa > subscriptions: the resource', () => {
  it('creates, reads, alters, rotates and stops a subscription; the secret is never answered', async () => {
    const sub = await create({ callbackUrl: 'https://receiver.example/cb', eventType: ['EQUIPMENT'] });
    expect(sub).toEqual({
      subscriptionID: expect.any(String),
      callbackUrl: 'https://receiver.example/cb',
      eventType: ['EQUIPMENT'],
    });
    const read = await call('GET', `/v2/event-subscriptions/${sub.subscriptionID}`, undefined, { role: 'viewer' });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(sub);

    const altered = await call('PUT', `/v2/event-subscriptions/${sub.subscriptionID}`, {
      subscriptionID: sub.subscriptionID,
      callbackUrl: 'https://receiver.example/other',
      transportEventTypeCode: ['ARRI'],
    });
    expect(altered.status, altered.text).toBe(200);
    expect(DcsaSubscriptionSchema.strict().safeParse(altered.json).success).toBe(true);
    // A filter left out of the PUT is removed.
    expect(altered.json).toEqual({
      subscriptionID: sub.subscriptionID,
      callbackUrl: 'https://receiver.example/other',
      transportEventTypeCode: ['ARRI'],
    });

    const rotated = await call('PUT', `/v2/event-subscriptions/${sub.subscriptionID}/secret`, {
      secret: Buffer.from('another secret, also long enough').toString('base64'),
    });
    expect(rotated.status).toBe(204);
    const stored = await env.DB.prepare('SELECT secret FROM dcsa_subscriptions WHERE id = ?1')
      .bind(sub.subscriptionID)
      .first<{ secret: string }>();
    expect(Buffer.from(stored!.secret, 'base64').toString()).toBe('another secret, also long enough');

    expect((await call('DELETE', `/v2/event-subscriptions/${sub.subscriptionID}`)).status).toBe(204);
    expect((await call('GET', `/v2/event-subscriptions/${sub.subscriptionID}`)).status).toBe(404);
    expect((await call('DELETE', `/v2/event-subscriptions/${sub.subscriptionID}`)).status).toBe(404);
  });

  it('pages the list with the standard’s headers: every subscription once, Next-Page until the last', async () => {
    const mine = new Set<string>();
    for (let i = 0; i < 5; i++)
      mine.add((await create({ callbackUrl: `https://receiver.example/page/${i}` })).subscriptionID);
    const seen: string[] = [];
    let next: string | null = '/v2/event-subscriptions?limit=2';
    let pages = 0;
    while (next) {
      const page = await call('GET', next, undefined, { role: 'viewer' });
      expect(page.status).toBe(200);
      expect(page.res.headers.get('current-page')).toBe(next);
      expect(page.res.headers.get('first-page')).toBe('/v2/event-subscriptions?limit=2');
      const rows = page.json as Sub[];
      expect(rows.length).toBeLessThanOrEqual(2);
      for (const r of rows) expect(DcsaSubscriptionSchema.strict().safeParse(r).success).toBe(true);
      seen.push(...rows.map((r) => r.subscriptionID));
      next = page.res.headers.get('next-page');
      if (++pages > 1000) throw new Error('paging did not end');
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of mine) expect(seen).toContain(id);
  });

  it('refuses what it cannot honour, naming the field, in the standard’s error shape', async () => {
    const bad = async (body: unknown, field: string, method = 'POST', path = '/v2/event-subscriptions') => {
      const r = await call(method, path, body);
      expect(r.status, r.text).toBe(400);
      expect(JSON.stringify((r.json as { errors: unknown }).errors)).toContain(field);
    };
    await bad({ callbackUrl: 'https://x.example', secret: SECRET, bookingReference: 'ABC' }, 'bookingReference');
    await bad({ callbackUrl: 'https://x.example', secret: SECRET, scheduleID: crypto.randomUUID() }, 'scheduleID');
    await bad({ callbackUrl: 'https://x.example', secret: Buffer.from('short').toString('base64') }, 'secret');
    await bad({ callbackUrl: 'https://x.example', secret: 'not base64!' }, 'secret');
    await bad({ callbackUrl: 'https://x.example' }, 'secret');
    await bad({ callbackUrl: 'ftp://x.example', secret: SECRET }, 'callbackUrl');
    await bad({ callbackUrl: 'https://x.example', secret: SECRET, eventType: ['CARGO'] }, 'eventType');
    await bad('{"callbackUrl":', 'invalid');
    const sub = await create({ callbackUrl: 'https://receiver.example/cb' });
    const path = `/v2/event-subscriptions/${sub.subscriptionID}`;
    await bad({ ...sub, secret: SECRET }, 'secret', 'PUT', path);
    await bad({ ...sub, subscriptionID: crypto.randomUUID() }, 'subscriptionID', 'PUT', path);
    await bad({ secret: 'c2hvcnQ=' }, 'secret', 'PUT', `${path}/secret`);
    expect((await call('GET', '/v2/event-subscriptions/not-a-uuid')).status).toBe(400);
    expect((await call('GET', '/v2/event-subscriptions?cursor=garbage')).status).toBe(400);
    expect((await call('GET', '/v2/event-subscriptions?limit=0')).status).toBe(400);
    expect(
      (await call('GET', '/v2/event-subscriptions', undefined, { role: 'viewer', headers: { 'api-version': '3' } }))
        .status,
    ).toBe(400);
    expect(
      (await call('PUT', `/v2/event-subscriptions/${crypto.randomUUID()}`, { ...sub, subscriptionID: undefined }))
        .status,
    ).toBe(400);
  });

  it('lets viewers read, operators with an unscoped token write; no token is a 401', async () => {
    const body = { callbackUrl: 'https://receiver.example/cb', secret: SECRET };
    expect((await call('POST', '/v2/event-subscriptions', body, { role: 'viewer' })).status).toBe(403);
    expect((await call('POST', '/v2/event-subscriptions', body, { role: 'producer' })).status).toBe(403);
    expect(
      (await call('POST', '/v2/event-subscriptions', body, { role: 'operator', categories: ['Container'] })).status,
    ).toBe(403);
    expect((await call('POST', '/v2/event-subscriptions', body, {})).status).toBe(401);
    expect((await call('GET', '/v2/event-subscriptions', undefined, {})).status).toBe(401);
    expect((await call('POST', '/v2/event-subscriptions', body, { role: 'admin' })).status).toBe(201);
  });

  it('answers the app’s own refusals on /v2 (401, 403, 404, 405, 413) in the standard’s shape too', async () => {
    // `call` checks every answer ≥ 400 against the DCSA error schema and its statusCode.
    expect((await call('GET', '/v2/events', undefined, {})).status).toBe(401);
    expect((await call('POST', '/v2/event-subscriptions', { secret: SECRET }, { role: 'viewer' })).status).toBe(403);
    expect((await call('GET', '/v2/no-such-resource')).status).toBe(404);
    const wrongMethod = await call('DELETE', '/v2/events');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.res.headers.get('allow')).toContain('GET');
    const huge = await call(
      'POST',
      '/v2/event-subscriptions',
      JSON.stringify({ callbackUrl: 'x'.repeat(5 * 1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
  });

  it('never answers a 5xx to hostile bodies, ids and queries (property)', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
      fc.constantFrom('https://x.example/cb', SECRET, 'EQUIPMENT', 'LOAD', crypto.randomUUID()),
    );
    const key = fc.constantFrom(
      'callbackUrl',
      'secret',
      'eventType',
      'equipmentEventTypeCode',
      'vesselIMONumber',
      'subscriptionID',
      '__proto__',
      'x',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'PUT', 'GET', 'DELETE'),
        fc.oneof(
          fc.constant(''),
          fc.constant(`/${crypto.randomUUID()}`),
          fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`),
        ),
        fc.oneof(fc.dictionary(key, value, { maxKeys: 6 }), fc.string({ maxLength: 50 }), fc.constant(undefined)),
        async (method, tail, body) => {
          const r = await call(
            method,
            `/v2/event-subscriptions${tail}`,
            method === 'GET' || method === 'DELETE' ? undefined : body,
          );
          expect(r.status, r.text).toBeLessThan(500);
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe('dcsa > subscriptions: callbacks', () => {
  it('a matching new DCSA event becomes one recorded callback of the original documents; others none', async () => {
    const mine = container(`MSCU${String(Date.now() % 1_000_000).padStart(6, '0')}`);
    const sub = await create({
      callbackUrl: 'https://receiver.invalid/dcsa',
      equipmentEventTypeCode: ['LOAD'],
      equipmentReference: mine,
    });
    const doc = (code: string, ref: string) => ({
      eventID: crypto.randomUUID(),
      eventType: 'EQUIPMENT',
      eventCreatedDateTime: '2026-12-03T07:55:00+01:00',
      eventClassifierCode: 'ACT',
      eventDateTime: '2026-12-03T07:50:00+01:00',
      equipmentEventTypeCode: code,
      equipmentReference: ref,
      emptyIndicatorCode: 'LADEN',
      eventLocation: { UNLocationCode: 'NLRTM' },
    });
    const match = doc('LOAD', mine);
    const other = container('CSQU305438');
    for (const d of [doc('DISC', mine), doc('LOAD', other), match, doc('GTIN', mine)]) {
      const { res } = await postEvents(d);
      expect(res.status).toBe(201);
    }
    const ruleId = `dcsa:${sub.subscriptionID}`;
    const deadline = Date.now() + 8000;
    let rows: { id: string; body: string; url: string }[] = [];
    while (Date.now() < deadline) {
      ({ results: rows } = await env.DB.prepare('SELECT id, body, url FROM webhook_deliveries WHERE rule_id = ?1')
        .bind(ruleId)
        .all<{ id: string; body: string; url: string }>());
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Give the runner a moment more: nothing else may arrive for this subscription.
    await new Promise((r) => setTimeout(r, 600));
    ({ results: rows } = await env.DB.prepare('SELECT id, body, url FROM webhook_deliveries WHERE rule_id = ?1')
      .bind(ruleId)
      .all<{ id: string; body: string; url: string }>());
    expect(rows).toHaveLength(1);
    expect(rows[0]!.url).toBe('https://receiver.invalid/dcsa');
    const body = JSON.parse(rows[0]!.body) as unknown[];
    expect(DcsaEventSchema.array().safeParse(body).success).toBe(true);
    expect(body).toEqual([match]);

    // Recorded like a rule's webhook: the extension route lists it with its attempts (the
    // receiver does not resolve, so they fail and it stays pending for the next one).
    const listed = await call('GET', `/v2/event-subscriptions/${sub.subscriptionID}/deliveries`);
    expect(listed.status).toBe(200);
    const data = (listed.json as { data: { id: string; eventId: string; state: string; attemptLog: unknown[] }[] })
      .data;
    expect(data.map((d) => [d.id, d.eventId])).toEqual([[rows[0]!.id, match.eventID]]);
    expect(data[0]!.attemptLog.length).toBeGreaterThanOrEqual(1);
    expect(['pending', 'failed']).toContain(data[0]!.state);
    const unknown = await call('GET', `/v2/event-subscriptions/${crypto.randomUUID()}/deliveries`);
    expect(unknown.status).toBe(404);
  });

  it('an event forged with the DCSA source and a malformed document is not sent, and does not stall the runner', async () => {
    const booking = `BKG${Date.now().toString(36).toUpperCase()}`;
    const sub = await create({ callbackUrl: 'https://receiver.invalid/forged', carrierBookingReference: booking });
    // A plain Quaycast event, posted by any producer, claiming to be a mapped DCSA event: its
    // document has the matcher's fields in the wrong types (the matcher threw on these before).
    const forged = await postEvents({
      id: `forged-${crypto.randomUUID()}`,
      category: 'System', // the room a mapped SHIPMENT event goes to: one runner reads both
      eventType: 'Shipment',
      title: 'forged DCSA original',
      severity: 'Low',
      source: 'DCSA TNT 2.2',
      eventData: {
        dcsa: {
          eventType: 'EQUIPMENT',
          equipmentEventTypeCode: 'LOAD',
          documentReferences: 5,
          references: 'x',
          carrierBookingReference: booking,
        },
      },
    });
    expect(forged.res.status).toBe(201);
    const real = {
      eventID: crypto.randomUUID(),
      eventType: 'SHIPMENT',
      eventCreatedDateTime: '2026-12-03T08:00:00Z',
      eventClassifierCode: 'ACT',
      eventDateTime: '2026-12-03T08:00:00Z',
      shipmentEventTypeCode: 'CONF',
      documentTypeCode: 'BKG',
      documentID: booking,
      documentReferences: [{ documentReferenceType: 'BKG', documentReferenceValue: booking }],
    };
    const posted = await postEvents(real);
    expect(posted.res.status).toBe(201);
    const ruleId = `dcsa:${sub.subscriptionID}`;
    const deadline = Date.now() + 8000;
    let rows: { body: string }[] = [];
    while (Date.now() < deadline && rows.length === 0) {
      ({ results: rows } = await env.DB.prepare('SELECT body FROM webhook_deliveries WHERE rule_id = ?1')
        .bind(ruleId)
        .all<{ body: string }>());
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.body)).toEqual([real]);
  });
});

describe('dcsa > subscriptions: the limit', () => {
  it(`refuses a subscription past MAX_SUBSCRIPTIONS with a 409, and takes one again after a delete`, async () => {
    const have = ((await env.DB.prepare('SELECT COUNT(*) AS n FROM dcsa_subscriptions').first<{ n: number }>())?.n ??
      0) as number;
    // Filler rows straight into D1, matching nothing (a container no event carries).
    const filler = Array.from({ length: MAX_SUBSCRIPTIONS - 1 - have }, (_, i) => `filler-${i}`);
    const insert = env.DB.prepare(
      "INSERT INTO dcsa_subscriptions (id, callback_url, filters, secret, created_at, updated_at, created_by) VALUES (?1, 'https://receiver.invalid/filler', ?2, ?3, 0, 0, 'test')",
    );
    const filters = JSON.stringify({ equipmentReference: 'ZZZU0000000' });
    for (let i = 0; i < filler.length; i += 50)
      await env.DB.batch(filler.slice(i, i + 50).map((id) => insert.bind(id, filters, SECRET)));
    try {
      const last = await create({ callbackUrl: 'https://receiver.invalid/last', equipmentReference: 'ZZZU0000000' });
      const refused = await call('POST', '/v2/event-subscriptions', {
        callbackUrl: 'https://receiver.invalid/one-too-many',
        secret: SECRET,
      });
      expect(refused.status).toBe(409);
      expect(JSON.stringify((refused.json as { errors: unknown }).errors)).toContain(String(MAX_SUBSCRIPTIONS));
      expect((await call('DELETE', `/v2/event-subscriptions/${last.subscriptionID}`)).status).toBe(204);
      const again = await create({ callbackUrl: 'https://receiver.invalid/again', equipmentReference: 'ZZZU0000000' });
      expect((await call('DELETE', `/v2/event-subscriptions/${again.subscriptionID}`)).status).toBe(204);
    } finally {
      await env.DB.prepare("DELETE FROM dcsa_subscriptions WHERE id LIKE 'filler-%'").run();
    }
  });
});
