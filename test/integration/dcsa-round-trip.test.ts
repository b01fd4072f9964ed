/**
 * DCSA TNT 2.2 on real parts (docs/dcsa.md), against `npm start`'s stack (SIMULATE=0): a real
 * broker, the bridge, the Worker under `wrangler dev`, headless Chromium, a real local receiver.
 *  - Round trip: a DCSA equipment event produced to Kafka appears on the dashboard mapped (category,
 *    type, container, the kept document in the detail panel) and `GET /v2/events` answers it equal
 *    to the original, once.
 *  - A subscription with a filter gets one signed callback for the matching event and none for the
 *    other; the receiver is down at first, so the callback arrives later, once; the
 *    Notification-Signature verifies with Python's hmac (an independent implementation).
 * Every /v2 answer and the callback body are checked against the project's schemas of the standard.
 */
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso6346CheckDigit } from '../../protocol/dcsa.ts';
import {
  DCSA_API_VERSION,
  DcsaErrorSchema,
  DcsaEventSchema,
  DcsaSubscriptionSchema,
} from '../../protocol/schemas/dcsa.ts';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { produce } from '../support/kafka.ts';
import { until } from '../support/wait.ts';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/webhook-receiver.ts';

let stack: LocalStack | undefined;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startLocalStack();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await receiver?.close();
}, 60_000);

/** A /v2 call with the stack's admin token; the answer's shape is checked against the standard's schemas. */
async function v2(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack!.origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack!.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  expect(res.headers.get('api-version')).toBe(DCSA_API_VERSION);
  if (res.status >= 400) expect(DcsaErrorSchema.safeParse(json).success, text).toBe(true);
  return { res, status: res.status, json, text };
}

/** Python's hmac over the raw bytes received, keyed by the decoded secret, as docs/dcsa.md shows. */
function verifyWithPython(secretBase64: string, req: ReceivedRequest): boolean {
  const program = `
import base64, hashlib, hmac, sys
def verify(secret_b64: str, raw_body: bytes, header: str) -> bool:
    kind, _, given = header.strip().partition("=")
    expected = hmac.new(base64.b64decode(secret_b64), raw_body, hashlib.sha256).hexdigest()
    return kind == "sha256" and hmac.compare_digest(expected, given)
print("valid" if verify(sys.argv[1], sys.stdin.buffer.read(), sys.argv[2]) else "invalid")
`;
  const out = execFileSync('python3', ['-c', program, secretBase64, String(req.headers['notification-signature'])], {
    input: Buffer.from(req.raw, 'utf8'),
  });
  return out.toString().trim() === 'valid';
}

function equipmentEvent(code: string, equipmentReference: string): Record<string, unknown> {
  return {
    eventID: crypto.randomUUID(),
    eventType: 'EQUIPMENT',
    eventCreatedDateTime: new Date().toISOString().replace('Z', '+00:00'),
    eventClassifierCode: 'ACT',
    eventDateTime: '2026-12-03T07:50:00+01:00',
    equipmentEventTypeCode: code,
    equipmentReference,
    ISOEquipmentCode: '45G1',
    emptyIndicatorCode: 'LADEN',
    eventLocation: {
      locationName: 'Euromax',
      UNLocationCode: 'NLRTM',
      facilityCode: 'ECTDE',
      facilityCodeListProvider: 'SMDG',
    },
    transportCall: {
      transportCallID: 'TC-NLRTM-2107W',
      carrierVoyageNumber: '2107W',
      UNLocationCode: 'NLRTM',
      modeOfTransport: 'VESSEL',
      vessel: { vesselIMONumber: '9321483', vesselName: 'Emma Maersk' },
    },
    seals: [{ sealNumber: 'SN-55', sealType: 'BLT', sealSource: 'CAR' }],
  };
}

describe('dcsa > round trip and subscriptions on real parts', () => {
  it('a DCSA event from Kafka is on the dashboard and in GET /v2/events as sent; the subscription gets one signed callback, late', async () => {
    const serial = String(Date.now() % 1_000_000).padStart(6, '0');
    const container = `MSCU${serial}${iso6346CheckDigit(`MSCU${serial}`)}`;
    const secret = Buffer.from(`dcsa-secret-${serial}-of-enough-bytes`).toString('base64');

    const created = await v2('POST', '/v2/event-subscriptions', {
      callbackUrl: `${receiver.url}/dcsa/callback`,
      secret,
      equipmentEventTypeCode: ['LOAD'],
      equipmentReference: container,
    });
    expect(created.status, created.text).toBe(201);
    expect(DcsaSubscriptionSchema.strict().safeParse(created.json).success).toBe(true);
    const subscriptionId = (created.json as { subscriptionID: string }).subscriptionID;

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack!.origin}/#token=${stack!.token}`);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });

    // The receiver is down when the events come: the callback must wait for it.
    await receiver.down();
    const load = equipmentEvent('LOAD', container);
    const disc = equipmentEvent('DISC', container);
    // And one invalid DCSA document beside them (a wrong ISO 6346 check digit): dead-lettered with the field.
    const badDigit = (Number(container.at(-1)) + 1) % 10;
    const invalid = { ...equipmentEvent('GTIN', `${container.slice(0, -1)}${badDigit}`) };
    await produce('container-events', [
      { key: String(invalid.eventID), value: JSON.stringify(invalid) },
      { key: String(load.eventID), value: JSON.stringify(load) },
      { key: String(disc.eventID), value: JSON.stringify(disc) },
    ]);

    // On the dashboard, live, mapped: a Container event of type ContainerLoaded for that container.
    const row = page.locator(`article[data-id="${load.eventID}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain(container);
    await row.click();
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    const detailText = (await detail.textContent()) ?? '';
    expect(detailText).toContain('ContainerLoaded');
    expect(detailText).toContain('Container');
    const kept = JSON.parse((await page.getByTestId('dcsa-document').locator('pre').textContent()) ?? 'null');
    expect(kept).toEqual(load);
    await page.locator(`article[data-id="${disc.eventID}"]`).waitFor({ timeout: 30_000 });

    // While the receiver is down the callback is attempted and recorded as failed attempts.
    const deliveriesPath = `/v2/event-subscriptions/${subscriptionId}/deliveries`;
    type Listed = { data: { id: string; state: string; attemptLog: { status: number | null }[] }[] };
    await until(
      'a failed attempt while the receiver is down',
      async () => {
        const { json } = await v2('GET', deliveriesPath);
        const d = (json as Listed).data[0];
        return d && d.attemptLog.length >= 1 ? d : undefined;
      },
      60_000,
    );
    expect(receiver.to('/dcsa/callback')).toHaveLength(0);
    await receiver.up();

    // Later, once: the matching event only, signed, with the standard's headers.
    const [callback] = await until(
      'the callback after the receiver is back',
      () => (receiver.to('/dcsa/callback').length > 0 ? receiver.to('/dcsa/callback') : undefined),
      120_000,
    );
    const body = JSON.parse(callback!.raw) as unknown[];
    expect(DcsaEventSchema.array().safeParse(body).success).toBe(true);
    expect(body).toEqual([load]);
    expect(callback!.headers['subscription-id']).toBe(subscriptionId);
    expect(callback!.headers['api-version']).toBe(DCSA_API_VERSION);
    expect(String(callback!.headers['notification-signature'])).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWithPython(secret, callback!)).toBe(true);
    expect(verifyWithPython(Buffer.from('some other secret, long enough').toString('base64'), callback!)).toBe(false);

    const delivered = await until('the delivery recorded as delivered', async () => {
      const { json } = await v2('GET', deliveriesPath);
      const d = (json as Listed).data;
      return d.length === 1 && d[0]!.state === 'delivered' ? d[0] : undefined;
    });
    expect(delivered.attemptLog.at(-1)!.status).toBe(200);
    expect(delivered.attemptLog.slice(0, -1).every((a) => a.status === null)).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.to('/dcsa/callback')).toHaveLength(1);
    // GET /v2/events: both, each once, equal to what was produced (the standard's identity is eventID).
    const listed = await v2('GET', `/v2/events?equipmentReference=${container}`);
    expect(listed.status, listed.text).toBe(200);
    const docs = listed.json as Record<string, unknown>[];
    expect(DcsaEventSchema.array().safeParse(docs).success, listed.text).toBe(true);
    expect(docs.filter((d) => d.eventID === load.eventID)).toEqual([load]);
    expect(docs.filter((d) => d.eventID === disc.eventID)).toEqual([disc]);
    expect(docs).toHaveLength(2);
    const loads = await v2('GET', `/v2/events?equipmentReference=${container}&equipmentEventTypeCode=LOAD`);
    expect(loads.json).toEqual([load]);

    // The invalid one: a dead letter (reported to the Worker) naming the DCSA field; not stored.
    const letter = await until('the invalid DCSA record dead-lettered', async () => {
      const res = await fetch(`${stack!.origin}/api/dead-letters?topic=container-events`, {
        headers: { authorization: `Bearer ${stack!.token}` },
      });
      const { data } = (await res.json()) as { data: { key: string | null; reason: string }[] };
      return data.find((l) => l.key === invalid.eventID);
    });
    expect(letter.reason).toContain('dcsa.equipmentReference');
    expect(letter.reason).toContain('check digit');
    expect((await v2('GET', `/v2/events?equipmentReference=${invalid.equipmentReference}`)).json).toEqual([]);

    expect(errors).toEqual([]);
    await context.close();
  });
});
