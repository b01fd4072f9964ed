import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QuaycastEvent } from '../../protocol/event.ts';
import type { FeedChange } from '../db/rules.ts';
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
function change(seq: number, eventData: Record<string, unknown>, changed = false): FeedChange {
  return {
    id: `e${seq}`,
    seq,
    deleted: false,
    event: { id: `e${seq}`, seq, eventData } as unknown as QuaycastEvent,
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
      change(4, { dcsa: dcsa('LOAD', 'MSCU6639871') }, true), // a workflow change, not a new event
      change(5, { dcsa: dcsa('LOAD', 'MSCU6639871') }),
    ];
    const out = pageCallbacks(page, subs, ctx);
    expect(out.map((d) => [d.id, d.ruleId, d.url, d.eventId])).toEqual([
      ['dcsa:s-load:Container:1', 'dcsa:s-load', 'https://a.example/cb', 'e1'],
      ['dcsa:s-all:Container:1', 'dcsa:s-all', 'https://b.example/cb', 'e1'],
    ]);
    expect(JSON.parse(out[0]!.body)).toEqual([dcsa('LOAD', 'CSQU3054383'), dcsa('LOAD', 'MSCU6639871')]);
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
});
