/**
 * A day at the Port of Rotterdam (Maasvlakte container terminals) as a stream of Quaycast
 * events: vessels are announced, anchor, get a berth (or a berth conflict), berth, are worked by
 * quay cranes and sail; trucks bring export boxes in and take import boxes out; reefers alarm,
 * customs holds boxes, the weather turns, integrations stutter.
 *
 * The world has state (`world.ts`), so events follow each other plausibly (a box is loaded only
 * after it gated in, a berth is released by the vessel that held it); the generators are in
 * `events/`, the reference data in `data/`. Pure: randomness and the clock are injected, there is
 * no I/O, and the same seed with the same clock gives the same stream.
 */
import { topicForCategory } from '../../protocol/enums.ts';
import { PORT } from './data/port.ts';
import type { Draft, SimEvent, SimRecord } from './event.ts';
import {
  berthAssignment,
  etaUpdated,
  vesselAnnounced,
  vesselArrived,
  vesselBerthed,
  vesselDeparted,
} from './events/vessels.ts';
import { craneMove, customsHold, customsRelease, gateIn, gateOut, reeferAlarm } from './events/boxes.ts';
import { craneOutage, gateCongestion, systemHealth, weather } from './events/operations.ts';
import { hasDcsaForm, toDcsa } from './dcsa.ts';
import { hasLegacyForm, toLegacy } from './legacy.ts';
import { makeRng, mulberry32 } from './random.ts';
import { MAX_EXPECTED, MAX_YARD, createWorld, inPhase, type World } from './world.ts';

export type { SimEvent, SimRecord } from './event.ts';

export type PortDayOptions = {
  /** Goes into every event id (`sim-<runId>-<n>`): a new run id gives new ids, the same one replays them. */
  runId: string;
  /** Seed of the built-in PRNG; ignored when `random` is given. */
  seed?: number;
  /** The randomness source, in [0, 1). */
  random?: () => number;
  /** The clock, in ms since the epoch: each event's `eventTime`. */
  now: () => number;
  /** Share of events written in the legacy .NET shape, 0..1 (System events never are). Default 0.1. */
  legacyShare?: number;
  /** Share of the events that have a DCSA form (gate in/out, vessel arrival/departure) written as DCSA TNT 2.2, 0..1. Default 0.2. */
  dcsaShare?: number;
};

export type PortDay = { next(): SimRecord };

type Generator = (w: World) => Draft | undefined;

/** The kinds of events by relative frequency now: crane moves and gate traffic dominate, as they do in a terminal. */
function mix(w: World): [number, Generator][] {
  const yardFull = w.exports.length >= MAX_YARD;
  return [
    [30, craneMove],
    [yardFull ? 3 : 14, gateIn],
    [w.imports.length === 0 ? 0 : 12 * Math.min(2, Math.max(0.25, w.imports.length / 800)), gateOut],
    [1.6, reeferAlarm],
    [1.4, customsHold],
    [1.1, customsRelease],
    [inPhase(w, 'Expected').length < MAX_EXPECTED ? 2 : 0, vesselAnnounced],
    [2, etaUpdated],
    [3, vesselArrived],
    [3, berthAssignment],
    [3, vesselBerthed],
    [4, vesselDeparted],
    [0.4, craneOutage],
    [1, weather],
    [0.6, gateCongestion],
    [3, systemHealth],
  ];
}

/** The next draft: one owed from the last event first, else a draw from the mix. */
function draft(w: World): Draft {
  const owed = w.pending.shift();
  if (owed) return owed;
  const kinds = mix(w);
  // A kind that does not fit the current state is skipped; the next draw picks another.
  for (let attempt = 0; attempt < 20; attempt++) {
    const made = w.rng.weighted(kinds)!(w);
    if (made) return made;
  }
  return gateIn(w);
}

/**
 * Creates the generator. `next()` returns the next event as a Kafka record: topic
 * `container-events` for Container events, `port-events` for the rest, key = event id.
 */
export function createPortDay(options: PortDayOptions): PortDay {
  const { runId, seed = 1, now, legacyShare = 0.1, dcsaShare = 0.2 } = options;
  if (!(dcsaShare >= 0 && dcsaShare <= 1)) throw new RangeError(`dcsaShare must be within 0..1, got ${dcsaShare}`);
  if (!(legacyShare >= 0 && legacyShare <= 1))
    throw new RangeError(`legacyShare must be within 0..1, got ${legacyShare}`);
  const rng = makeRng(options.random ?? mulberry32(seed));
  const world = createWorld(rng, now);
  let n = 0;
  let eligible = 0;

  return {
    next(): SimRecord {
      n++;
      const ms = now();
      const d = draft(world);
      const event: SimEvent = {
        id: `sim-${runId}-${n}`,
        eventType: d.eventType,
        title: d.title,
        description: d.description,
        category: d.category,
        severity: d.severity,
        status: 'New',
        source: d.source,
        eventTime: new Date(ms).toISOString(),
        containerId: d.containerId,
        shipId: d.shipId,
        berthId: d.berthId,
        portId: d.portId === undefined ? PORT.id : d.portId,
        requiresAction: d.requiresAction,
        eventData: d.eventData,
        metadata: { simulator: 'portday', runId },
        coordinates: d.coordinates,
      };
      // System events have no legacy form: the others carry their share too, so the whole stream does.
      const canBeLegacy = hasLegacyForm(event.category);
      if (canBeLegacy) eligible++;
      const legacy = canBeLegacy && rng.chance(Math.min(1, (legacyShare * n) / eligible));
      const dcsa = !legacy && hasDcsaForm(event) && rng.chance(dcsaShare);
      const document = dcsa ? toDcsa(event, rng, ms) : undefined;
      const value: Record<string, unknown> = legacy ? toLegacy(event, rng, ms) : (document ?? event);
      return {
        topic: topicForCategory(event.category),
        // A DCSA document's eventID is the stored id (docs/dcsa.md), so it is the key too.
        key: typeof document?.eventID === 'string' ? document.eventID : event.id,
        value,
        category: event.category,
        severity: event.severity,
        legacy,
        dcsa,
      };
    },
  };
}
