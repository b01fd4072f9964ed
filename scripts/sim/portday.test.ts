import { describe, expect, it } from 'vitest';
import { describeIssues } from '../../protocol/reason.ts';
import { DcsaEventSchema } from '../../protocol/schemas/dcsa.ts';
import { normalizeEvent, type IngestContext } from '../../protocol/schemas/normalize.ts';
import { isValidContainerNumber, isValidImo } from './identifiers.ts';
import { createPortDay, type PortDayOptions, type SimRecord } from './portday.ts';

const START = Date.UTC(2026, 10, 29, 6, 0, 0);

/** A generator with a fake clock that advances 250 ms per reading. */
function portDay(options: Partial<PortDayOptions> = {}) {
  let t = START;
  return createPortDay({ runId: 'test', seed: 42, now: () => (t += 250), ...options });
}

function take(n: number, options: Partial<PortDayOptions> = {}): SimRecord[] {
  const day = portDay(options);
  return Array.from({ length: n }, () => day.next());
}

const kafkaCtx = (topic: string, offset: number): IngestContext => ({
  kind: 'kafka',
  topic,
  partition: 0,
  offset: String(offset),
  receivedAt: START,
});

describe('scripts/sim > createPortDay', () => {
  const records = take(5000, { seed: 7 });

  it('gives the same stream for the same seed and clock, another for another seed', () => {
    expect(take(300, { seed: 1 })).toEqual(take(300, { seed: 1 }));
    expect(take(300, { seed: 2 })).not.toEqual(take(300, { seed: 1 }));
  });

  it('uses an injected random source instead of the seed', () => {
    const source = () => {
      let i = 0;
      return () => (i++ * 0.6180339887) % 1;
    };
    expect(take(200, { random: source(), seed: 1 })).toEqual(take(200, { random: source(), seed: 2 }));
  });

  it('gives each event a unique id sim-<runId>-<n> and uses it as the key', () => {
    const ids = records.map((r) => (r.legacy ? r.value.EventId : r.dcsa ? r.value.eventID : r.value.id));
    expect(new Set(ids).size).toBe(records.length);
    records.forEach((r, i) => {
      if (!r.dcsa) expect(r.key).toBe(`sim-test-${i + 1}`);
      expect(ids[i]).toBe(r.key);
    });
  });

  it('routes Container events to container-events and the rest to port-events', () => {
    for (const r of records) expect(r.topic).toBe(r.category === 'Container' ? 'container-events' : 'port-events');
    const categories = new Set(records.map((r) => r.category));
    expect([...categories].sort()).toEqual(['Berth', 'Container', 'Port', 'Ship', 'System']);
  });

  it('has a plausible severity mix: mostly Low and Medium, a few Critical', () => {
    const count = (s: string) => records.filter((r) => r.severity === s).length / records.length;
    expect(count('Low') + count('Medium')).toBeGreaterThan(0.85);
    expect(count('Low')).toBeGreaterThan(count('Medium'));
    expect(count('Medium')).toBeGreaterThan(count('High'));
    expect(count('High')).toBeGreaterThan(count('Critical'));
    expect(count('Critical')).toBeGreaterThan(0.001);
    expect(count('Critical')).toBeLessThan(0.03);
  });

  it('marks alarms, holds and conflicts as requiring action, routine moves not', () => {
    const canonical = records.filter((r) => !r.legacy && !r.dcsa).map((r) => r.value);
    const byType = (t: string) => canonical.filter((e) => e.eventType === t);
    for (const t of ['ReeferTemperatureAlarm', 'CustomsHold', 'BerthConflict']) {
      expect(byType(t).length, t).toBeGreaterThan(0);
      for (const e of byType(t)) expect(e.requiresAction, t).toBe(true);
    }
    for (const e of byType('ReeferTemperatureAlarm')) expect(['Critical', 'High']).toContain(e.severity);
    for (const e of byType('CraneMove')) expect(e.requiresAction).toBe(false);
  });

  it('writes valid IMO numbers and ISO 6346 container numbers, and coordinates near Rotterdam', () => {
    for (const r of records.filter((x) => !x.legacy && !x.dcsa)) {
      const e = r.value as {
        containerId: string | null;
        shipId: string | null;
        coordinates: { lat: number; lon: number } | null;
      };
      if (e.containerId) expect(isValidContainerNumber(e.containerId), e.containerId).toBe(true);
      if (e.shipId) expect(isValidImo(e.shipId), e.shipId).toBe(true);
      if (e.coordinates) {
        expect(Math.abs(e.coordinates.lat - 51.95)).toBeLessThan(0.2);
        expect(Math.abs(e.coordinates.lon - 4.05)).toBeLessThan(0.4);
      }
    }
  });

  it('honours the legacy share, by default about 10%', () => {
    const share = (rs: SimRecord[]) => rs.filter((r) => r.legacy).length / rs.length;
    expect(share(records)).toBeGreaterThan(0.08);
    expect(share(records)).toBeLessThan(0.12);
    expect(share(take(3000, { legacyShare: 0 }))).toBe(0);
    const third = share(take(3000, { legacyShare: 0.3 }));
    expect(third).toBeGreaterThan(0.27);
    expect(third).toBeLessThan(0.33);
    expect(() => take(1, { legacyShare: 1.5 })).toThrow(RangeError);
  });

  it('writes legacy events in the .NET shape: PascalCase, Priority only, no Category, 7-digit Timestamp', () => {
    const legacy = records.filter((r) => r.legacy);
    expect(legacy.length).toBeGreaterThan(0);
    for (const r of legacy) {
      const keys = Object.keys(r.value);
      for (const k of keys) expect(k, k).toMatch(/^[A-Z]/);
      expect(keys).toContain('EventType');
      expect(keys).toContain('Title');
      expect(keys).toContain('ContainerId');
      expect(keys).toContain('Priority');
      expect(keys).not.toContain('Severity');
      expect(keys).not.toContain('Category');
      expect(r.value.Timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/);
      expect(r.category).not.toBe('System');
    }
    expect(legacy.some((r) => typeof r.value.ShipId === 'number')).toBe(true);
    expect(legacy.some((r) => typeof r.value.ShipId === 'string')).toBe(true);
  });

  it('writes canonical events that normalizeEvent accepts unchanged in meaning', () => {
    records.forEach((r, i) => {
      if (r.legacy || r.dcsa) return;
      const result = normalizeEvent(r.value, kafkaCtx(r.topic, i));
      if (!result.ok) throw new Error(`${r.key} rejected: ${describeIssues(result.issues)}`);
      expect(result.event.id).toBe(r.key);
      expect(result.event.category).toBe(r.category);
      expect(result.event.severity).toBe(r.severity);
      expect(result.event.eventTime).toBe(r.value.eventTime);
      expect(result.event.metadata.extra).toBeUndefined();
    });
  });

  it('writes legacy events that normalise to the category, severity and time their canonical twin has', () => {
    records.forEach((r, i) => {
      if (!r.legacy) return;
      const result = normalizeEvent(r.value, kafkaCtx(r.topic, i));
      if (!result.ok) throw new Error(`${r.key} rejected: ${describeIssues(result.issues)}`);
      expect(result.event.id).toBe(r.key);
      expect(result.event.category, r.key).toBe(r.category);
      expect(result.event.severity).toBe(r.severity);
      expect(result.event.priority).toBe(r.severity);
      expect(result.event.eventTime.slice(0, 23)).toBe((r.value.Timestamp as string).slice(0, 23));
      expect(result.event.metadata.extra).toMatchObject({ MachineName: 'RTM-TOSINT-02' });
    });
  });

  it('keeps container numbers six digits and valid past the serial wrap (regression: seed 42 threw at event 8,437)', () => {
    const containers = take(9000, { seed: 42, legacyShare: 0, dcsaShare: 0 }).flatMap((r) =>
      r.value.containerId ? [r.value.containerId as string] : [],
    );
    expect(containers.length).toBeGreaterThan(4000);
    for (const id of containers) expect(isValidContainerNumber(id), id).toBe(true);
  });

  it('stamps events with the injected clock', () => {
    let t = START;
    const day = createPortDay({ runId: 'clock', seed: 3, legacyShare: 0, now: () => t });
    t = START + 1234;
    expect(day.next().value.eventTime).toBe('2026-11-29T06:00:01.234Z');
    t = START + 60_000;
    expect(day.next().value.eventTime).toBe('2026-11-29T06:01:00.000Z');
  });
});

describe('scripts/sim > identifiers', () => {
  it('computes ISO 6346 and IMO check digits', async () => {
    const { containerNumber, imoNumber } = await import('./identifiers.ts');
    expect(containerNumber('CSQU', '305438')).toBe('CSQU3054383');
    expect(isValidContainerNumber('MSCU1234565')).toBe(false);
    expect(imoNumber('907472')).toBe('9074729');
    expect(isValidImo('9074729')).toBe(true);
    expect(isValidImo('9074728')).toBe(false);
  });

  it('writes a share of gate and vessel events as DCSA TNT 2.2 documents that validate and map', () => {
    const dcsa = take(3000).filter((r) => r.dcsa);
    expect(dcsa.length).toBeGreaterThan(20);
    expect(new Set(dcsa.map((r) => r.value.eventType))).toEqual(new Set(['EQUIPMENT', 'TRANSPORT']));
    for (const r of dcsa) {
      expect(DcsaEventSchema.safeParse(r.value).success).toBe(true);
      expect(r.key).toBe(r.value.eventID);
      const result = normalizeEvent(r.value, kafkaCtx(r.topic, 0));
      expect(result.ok && result.event.category).toBe(r.category);
    }
    expect(take(2000, { dcsaShare: 0 }).some((r) => r.dcsa)).toBe(false);
  });
});
