import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuaycastEvent } from '../../protocol/event.ts';
import type { FeedChange } from '../db/rules.ts';
import { DCSA_SOURCE } from '../../protocol/schemas/dcsa-map.ts';
import { DcsaEventSchema } from '../../protocol/schemas/dcsa.ts';
import { MAX_EVENTS_PER_CALLBACK, notificationSignature, pageCallbacks, secretBytes } from './dcsa-callback.ts';

describe('notificationSignature', () => {
  it('is sha256=<hex> of HMAC-SHA256 over the exact body, keyed by the decoded secret (node:crypto agrees)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.string({ unit: 'grapheme' }),
        async (key, body) => {
          const secret = Buffer.from(key).toString('base64');
          const expected = createHmac('sha256', Buffer.from(key)).update(Buffer.from(body, 'utf8')).digest('hex');
          expect(await notificationSignature(secret, body)).toBe(`sha256=${expected}`);
        },
      ),
    );
  });
  it('decodes the base64 secret to its bytes', () => {
    expect([...secretBytes(Buffer.from([0, 255, 7]).toString('base64'))]).toEqual([0, 255, 7]);
  });
});

const dcsa = (code: string, ref: string) => ({
  eventType: 'EQUIPMENT',
  eventCreatedDateTime: '2026-12-02T09:55:00Z',
  eventClassifierCode: 'ACT',
  eventDateTime: '2026-12-02T09:50:00Z',
  equipmentEventTypeCode: code,
  equipmentReference: ref,
  emptyIndicatorCode: 'LADEN',
});
function change(seq: number, eventData: unknown, changed = false, source: unknown = DCSA_SOURCE): FeedChange {
  return {
    id: `e${seq}`,
    seq,
    deleted: false,
    event: { id: `e${seq}`, seq, source, eventData } as unknown as QuaycastEvent,
    actor: null,
    fromStatus: null,
    toStatus: 'New',
    changed,
    action: changed ? 'acknowledge' : null,
  };
}

describe('pageCallbacks', () => {
  const ctx = { category: 'Container' as const, now: 1000 };
  const subs = [
    { id: 's-load', callbackUrl: 'https://a.example/cb', filters: { equipmentEventTypeCode: ['LOAD'] } },
    { id: 's-all', callbackUrl: 'https://b.example/cb', filters: {} },
  ];
  it('bundles each subscription’s matching new DCSA events of a page into one callback, in seq order', () => {
    const page = [
      change(1, { dcsa: dcsa('LOAD', 'CSQU3054383') }),
      change(2, { other: true }),
      change(3, { dcsa: dcsa('DISC', 'CSQU3054383') }),
      change(4, { dcsa: dcsa('LOAD', 'MSCU6639870') }, true), // a workflow change, not a new event
      change(5, { dcsa: dcsa('LOAD', 'MSCU6639870') }),
    ];
    const out = pageCallbacks(page, subs, ctx);
    expect(out.map((d) => [d.id, d.ruleId, d.url, d.eventId])).toEqual([
      ['dcsa:s-load:Container:1', 'dcsa:s-load', 'https://a.example/cb', 'e1'],
      ['dcsa:s-all:Container:1', 'dcsa:s-all', 'https://b.example/cb', 'e1'],
    ]);
    expect(JSON.parse(out[0]!.body)).toEqual([dcsa('LOAD', 'CSQU3054383'), dcsa('LOAD', 'MSCU6639870')]);
    expect(JSON.parse(out[1]!.body).map((d: { equipmentEventTypeCode: string }) => d.equipmentEventTypeCode)).toEqual([
      'LOAD',
      'DISC',
      'LOAD',
    ]);
  });
  it('is deterministic (a page recorded twice makes the same ids) and splits large bundles', () => {
    const page = Array.from({ length: MAX_EVENTS_PER_CALLBACK + 5 }, (_, i) =>
      change(i + 10, { dcsa: dcsa('LOAD', 'CSQU3054383') }),
    );
    const a = pageCallbacks(page, subs.slice(0, 1), ctx);
    expect(a.map((d) => d.id)).toEqual([
      'dcsa:s-load:Container:10',
      `dcsa:s-load:Container:${10 + MAX_EVENTS_PER_CALLBACK}`,
    ]);
    expect(JSON.parse(a[1]!.body)).toHaveLength(5);
    expect(pageCallbacks(page, subs.slice(0, 1), ctx)).toEqual(a);
  });
  it('no DCSA event, or no subscription: no callback', () => {
    expect(pageCallbacks([change(1, {})], subs, ctx)).toEqual([]);
    expect(pageCallbacks([change(1, { dcsa: dcsa('LOAD', 'CSQU3054383') })], [], ctx)).toEqual([]);
  });
  it('sends nothing for a forged document: the right source with an invalid document, or a valid one from another source', () => {
    const forged = { ...dcsa('LOAD', 'CSQU3054383'), documentReferences: 5 };
    const filters = { carrierBookingReference: 'ABC' };
    expect(pageCallbacks([change(1, { dcsa: forged })], [{ ...subs[1]!, filters }], ctx)).toEqual([]);
    expect(pageCallbacks([change(1, { dcsa: dcsa('LOAD', 'CSQU3054383') }, false, 'someone')], subs, ctx)).toEqual([]);
  });
  it('never throws on any stored eventData, and bundles only documents that validate (property)', () => {
    const filters = fc.constantFrom(
      {},
      { carrierBookingReference: 'ABC123' },
      { UNLocationCode: 'NLRTM', vesselIMONumber: '9321483' },
      { transportDocumentReference: 'TD-9', equipmentReference: 'CSQU3054383' },
    );
    const doc = fc.oneof(
      fc.anything(),
      fc.record({
        eventType: fc.constantFrom('EQUIPMENT', 'TRANSPORT', 'SHIPMENT'),
        documentReferences: fc.anything(),
        transportCall: fc.anything(),
        eventLocation: fc.anything(),
      }),
      fc.constant(dcsa('LOAD', 'CSQU3054383')),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            doc.map((d) => ({ dcsa: d })),
            fc.anything(),
          ),
          { maxLength: 5 },
        ),
        filters,
        (datas, f) => {
          const page = datas.map((d, i) => change(i + 1, d));
          const out = pageCallbacks(page, [{ id: 's', callbackUrl: 'https://a.example/cb', filters: f }], ctx);
          for (const d of out) expect(DcsaEventSchema.array().safeParse(JSON.parse(d.body)).success).toBe(true);
        },
      ),
    );
  });
});
