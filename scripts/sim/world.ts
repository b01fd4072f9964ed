/**
 * The simulated port's state — vessels and their calls, berths, the boxes in the yard — and the
 * small helpers the event generators share. Every draw goes through `world.rng` and every reading
 * of the clock through `world.now`, in a fixed order, so the same seed and clock give the same day.
 */
import { containerNumber, imoNumber } from './identifiers.ts';
import { DRY_CARGO, FLAGS, ISO_TYPES, LESSORS, LINES, REEFER_CARGO, VESSEL_SIZES, type Line } from './data/fleet.ts';
import { ANCHORAGES, TERMINALS, type Anchorage, type Terminal } from './data/port.ts';
import { PLATE_LETTERS } from './data/vocabulary.ts';
import type { Draft } from './event.ts';
import type { Rng } from './random.ts';

export type Vessel = { imo: string; name: string; line: Line; loaM: number; draftM: number; teu: number; flag: string };

export type Berth = {
  id: string;
  terminal: Terminal;
  lat: number;
  lon: number;
  lengthM: number;
  maxDraftM: number;
  cranes: string[];
  occupant: Call | undefined;
};

/** A vessel's visit, from its announcement to its departure. */
export type Call = {
  vessel: Vessel;
  voyage: string;
  phase: 'Expected' | 'Anchored' | 'Assigned' | 'Alongside';
  etaMs: number;
  anchorage: Anchorage;
  berth: Berth | undefined;
  movesPlanned: number;
  movesDone: number;
  dischargeLeft: number;
};

export type Box = {
  id: string;
  isoType: string;
  typeName: string;
  line: string;
  weightKg: number;
  commodity: string;
  reefer: { setpointC: number } | undefined;
  direction: 'Import' | 'Export';
  yardPosition: string;
  held: boolean;
};

export type World = {
  rng: Rng;
  now: () => number;
  fleet: Vessel[];
  berths: Berth[];
  calls: Call[];
  /** Boxes in the yard: discharged ones waiting for a truck, and gated-in ones waiting for a vessel. */
  imports: Box[];
  exports: Box[];
  /** Events owed before the next draw (a departure's berth release). */
  pending: Draft[];
  /** The last container serial handed out (six digits). */
  serial: number;
};

export const MAX_EXPECTED = 4;
export const MAX_ANCHORED = 6;
export const MAX_YARD = 4000;
const MAX_SERIAL = 999_999;

function makeBerths(): Berth[] {
  const berths: Berth[] = [];
  let crane = 1;
  for (const t of TERMINALS) {
    for (let b = 1; b <= t.berths; b++) {
      const cranes: string[] = [];
      for (let c = 0; c < 4; c++) cranes.push(`QC-${t.code}-${String(crane++).padStart(2, '0')}`);
      berths.push({
        id: `${t.code}-${String(b).padStart(2, '0')}`,
        terminal: t,
        lat: t.lat - (b - 1) * 0.0021,
        lon: t.lon + (b - 1) * 0.0048,
        lengthM: t.lengthM,
        maxDraftM: t.maxDraftM,
        cranes,
        occupant: undefined,
      });
    }
  }
  return berths;
}

function makeFleet(rng: Rng): Vessel[] {
  const fleet: Vessel[] = [];
  const used = new Set<string>();
  for (const line of LINES) {
    for (const name of line.vessels) {
      let base = Number(`9${rng.digits(5)}`);
      while (used.has(imoNumber(String(base)))) base = base >= 999_999 ? 900_000 : base + 1;
      const imo = imoNumber(String(base));
      used.add(imo);
      const size = line.mainline ? VESSEL_SIZES.mainline : VESSEL_SIZES.feeder;
      const loaM = rng.pick(size.loaM);
      fleet.push({
        imo,
        name,
        line,
        loaM,
        draftM: rng.real(size.draftM[0], size.draftM[1]),
        teu: rng.pick(size.teu),
        flag: rng.pick(FLAGS),
      });
    }
  }
  return fleet;
}

/**
 * A port that is already busy when the simulation starts — calls expected, anchored and
 * alongside, boxes in the yard — without events for this set-up.
 */
export function createWorld(rng: Rng, now: () => number): World {
  const fleet = makeFleet(rng);
  const world: World = {
    rng,
    now,
    fleet,
    berths: makeBerths(),
    calls: [],
    imports: [],
    exports: [],
    pending: [],
    serial: rng.int(100_000, 899_999),
  };
  for (let i = 0; i < 3; i++) newCall(world, 'Expected');
  for (let i = 0; i < 3; i++) newCall(world, 'Anchored');
  for (const berth of world.berths) {
    if (!rng.chance(0.6)) continue;
    const call = newCall(world, 'Alongside');
    if (!call) break;
    call.berth = berth;
    berth.occupant = call;
    call.movesDone = rng.int(0, call.movesPlanned - 1);
  }
  for (let i = 0; i < 400; i++) world.imports.push(newBox(world, 'Import'));
  for (let i = 0; i < 300; i++) world.exports.push(newBox(world, 'Export'));
  return world;
}

/** A position near (lat, lon), rounded to 6 decimals. */
export function jitter(w: World, lat: number, lon: number, spread = 0.0015): { lat: number; lon: number } {
  return {
    lat: Math.round((lat + (w.rng.float() - 0.5) * spread) * 1e6) / 1e6,
    lon: Math.round((lon + (w.rng.float() - 0.5) * spread * 1.6) * 1e6) / 1e6,
  };
}

export const inPhase = (w: World, phase: Call['phase']): Call[] => w.calls.filter((c) => c.phase === phase);
export const freeBerths = (w: World): Berth[] => w.berths.filter((b) => !b.occupant);
export const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
export const plate = (rng: Rng): string => `${rng.digits(2)}-${rng.chars(PLATE_LETTERS, 3)}-${rng.digits(1)}`;
const voyage = (rng: Rng) => `${rng.int(100, 999)}${rng.pick(['E', 'W', 'N', 'S'])}`;
const yardPosition = (rng: Rng) =>
  `${rng.int(1, 9)}${rng.pick(['A', 'B', 'C', 'D', 'E'])}.${String(rng.int(1, 40)).padStart(2, '0')}.${String(rng.int(1, 9)).padStart(2, '0')}.${rng.int(1, 5)}`;

/** A stowage position (bay, row, tier) on the vessel. */
export function bayPosition(rng: Rng, vessel: Vessel): string {
  return `${String(rng.int(1, vessel.line.mainline ? 94 : 40)).padStart(2, '0')}${String(rng.int(0, vessel.line.mainline ? 24 : 12)).padStart(2, '0')}${rng.chance(0.55) ? String(rng.int(41, 49) * 2) : String(rng.int(1, 9) * 2).padStart(2, '0')}`;
}

/**
 * The next container serial. It stays six digits: past 999999 it wraps to 100000 (it used to run
 * into seven digits and throw, e.g. at event 8,437 of seed 42).
 */
function nextSerial(w: World): number {
  w.serial = w.serial >= MAX_SERIAL ? 100_000 : Math.min(MAX_SERIAL, w.serial + w.rng.int(1, 97));
  return w.serial;
}

/** A new box of `line` (any line when not given). */
export function newBox(w: World, direction: Box['direction'], line?: Line): Box {
  const { rng } = w;
  const type = rng.weighted(ISO_TYPES.map((t) => [t[0], t] as const))!;
  const reeferCargo = type[1].includes('R') ? rng.pick(REEFER_CARGO) : undefined;
  const owner = rng.chance(0.35) ? rng.pick(LESSORS) : rng.pick((line ?? rng.pick(LINES)).owners);
  const serial = nextSerial(w);
  return {
    id: containerNumber(owner, String(serial).padStart(6, '0')),
    isoType: type[1],
    typeName: type[2],
    line: (line ?? rng.pick(LINES)).name,
    weightKg: type[1].startsWith('2') ? rng.int(2_300, 28_000) : rng.int(3_900, 30_480),
    commodity: reeferCargo?.commodity ?? rng.pick(DRY_CARGO),
    reefer: reeferCargo ? { setpointC: reeferCargo.setpointC } : undefined,
    direction,
    yardPosition: yardPosition(rng),
    held: false,
  };
}

/** Removes and returns the element at `index` (swap-remove). */
export function takeAt<T>(list: T[], index: number): T {
  const item = list[index]!;
  list[index] = list[list.length - 1]!;
  list.pop();
  return item;
}

/** Index of a random element matching `test`, after a few tries; -1 when none found. */
export function findIndex<T>(rng: Rng, list: T[], test: (item: T) => boolean, tries = 12): number {
  for (let i = 0; i < tries && list.length > 0; i++) {
    const index = rng.int(0, list.length - 1);
    if (test(list[index]!)) return index;
  }
  return -1;
}

/** A call of a vessel not already in port, in `phase`; undefined when the whole fleet is in. */
export function newCall(w: World, phase: Call['phase']): Call | undefined {
  const { rng } = w;
  const busy = new Set(w.calls.map((c) => c.vessel.imo));
  const candidates = w.fleet.filter((v) => !busy.has(v.imo));
  if (candidates.length === 0) return undefined;
  const vessel = rng.pick(candidates);
  const movesPlanned = vessel.line.mainline ? rng.int(24, 80) : rng.int(10, 30);
  const call: Call = {
    vessel,
    voyage: voyage(rng),
    phase,
    etaMs: w.now() + rng.int(2, 30) * 3_600_000,
    anchorage: rng.pick(ANCHORAGES),
    berth: undefined,
    movesPlanned,
    movesDone: 0,
    dischargeLeft: Math.round(movesPlanned * rng.real(0.4, 0.6, 2)),
  };
  w.calls.push(call);
  return call;
}

/** The vessel fields every ship event's eventData carries. */
export function vesselData(call: Call): Record<string, unknown> {
  const v = call.vessel;
  return {
    imo: v.imo,
    vesselName: v.name,
    operator: v.line.name,
    voyage: call.voyage,
    flag: v.flag,
    loaM: v.loaM,
    draftM: v.draftM,
    teuCapacity: v.teu,
  };
}
