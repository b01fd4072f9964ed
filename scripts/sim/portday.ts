/**
 * A day at the Port of Rotterdam (Maasvlakte container terminals) as a stream of Quaycast
 * events: vessels are announced, anchor, get a berth (or a berth conflict), berth, are worked by
 * quay cranes and sail; trucks bring export boxes in and take import boxes out; reefers alarm,
 * customs holds boxes, the weather turns, integrations stutter.
 *
 * The world has state, so events follow each other plausibly (a box is loaded only after it
 * gated in, a berth is released by the vessel that held it). Pure: randomness and the clock are
 * injected, there is no I/O, and the same seed with the same clock gives the same stream.
 */
import { topicForCategory, type Category, type Severity } from '../../protocol/enums.ts';
import { containerNumber, imoNumber } from './identifiers.ts';
import { hasLegacyForm, toLegacy } from './legacy.ts';
import { makeRng, mulberry32, type Rng } from './random.ts';

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
};

/** A canonical event as the simulator writes it (DESIGN.md, "The event"). */
export type SimEvent = {
  id: string;
  eventType: string;
  title: string;
  description: string;
  category: Category;
  severity: Severity;
  status: 'New';
  source: string;
  eventTime: string;
  containerId: string | null;
  shipId: string | null;
  berthId: string | null;
  portId: string | null;
  requiresAction: boolean;
  eventData: Record<string, unknown>;
  metadata: Record<string, unknown>;
  coordinates: { lat: number; lon: number } | null;
};

/** One Kafka record to produce, with what the simulator knows about it for its own counters. */
export type SimRecord = {
  topic: string;
  key: string;
  value: Record<string, unknown>;
  category: Category;
  severity: Severity;
  legacy: boolean;
};

export type PortDay = { next(): SimRecord };

export const PORT = { id: 'NLRTM', name: 'Port of Rotterdam', lat: 51.9526, lon: 4.0527 } as const;

// ---------------------------------------------------------------------------------------------
// The port

type Terminal = { code: string; name: string; lat: number; lon: number; berths: number; lengthM: number; maxDraftM: number };

const TERMINALS: readonly Terminal[] = [
  { code: 'ECTD', name: 'ECT Delta', lat: 51.9585, lon: 4.0262, berths: 4, lengthM: 400, maxDraftM: 16.6 },
  { code: 'EMX', name: 'Euromax', lat: 51.9838, lon: 4.0431, berths: 3, lengthM: 420, maxDraftM: 16.6 },
  { code: 'APM2', name: 'APM Terminals Maasvlakte II', lat: 51.9572, lon: 3.9958, berths: 3, lengthM: 400, maxDraftM: 19.6 },
  { code: 'RWG', name: 'Rotterdam World Gateway', lat: 51.9446, lon: 4.0093, berths: 3, lengthM: 380, maxDraftM: 19.6 },
];

const GATES = [
  { name: 'ECT Delta truck gate', lat: 51.9521, lon: 4.0611 },
  { name: 'Euromax truck gate', lat: 51.9768, lon: 4.0594 },
  { name: 'APMT MVII truck gate', lat: 51.9618, lon: 4.0141 },
  { name: 'RWG truck gate', lat: 51.9399, lon: 4.0235 },
] as const;

const ANCHORAGES = [
  { name: 'Maas Anchorage 3A', lat: 52.045, lon: 3.82 },
  { name: 'Maas Anchorage 4', lat: 52.07, lon: 3.74 },
  { name: 'Eurogeul approach', lat: 52.01, lon: 3.9 },
] as const;

type Berth = {
  id: string;
  terminal: Terminal;
  lat: number;
  lon: number;
  lengthM: number;
  maxDraftM: number;
  cranes: string[];
  occupant: Call | undefined;
};

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

// ---------------------------------------------------------------------------------------------
// Fleet and boxes

type Line = { name: string; owners: readonly string[]; vessels: readonly string[]; mainline: boolean };

const LINES: readonly Line[] = [
  { name: 'MSC', owners: ['MSCU', 'MEDU', 'MSDU'], vessels: ['MSC Tessa', 'MSC Irina', 'MSC Loreto', 'MSC Mia', 'MSC Aurora', 'MSC Amelia', 'MSC Sveva', 'MSC Gemma'], mainline: true },
  { name: 'Maersk', owners: ['MAEU', 'MRKU', 'MSKU'], vessels: ['Mette Maersk', 'Madrid Maersk', 'Munich Maersk', 'Gerda Maersk', 'Maersk Elba', 'Maersk Essen'], mainline: true },
  { name: 'CMA CGM', owners: ['CMAU', 'CGMU', 'ECMU'], vessels: ['CMA CGM Jacques Saade', 'CMA CGM Palais Royal', 'CMA CGM Trocadero', 'CMA CGM Tage'], mainline: true },
  { name: 'Hapag-Lloyd', owners: ['HLXU', 'HLBU'], vessels: ['Berlin Express', 'Hamburg Express', 'Al Nefud', 'Afif'], mainline: true },
  { name: 'ONE', owners: ['ONEU', 'NYKU'], vessels: ['ONE Innovation', 'ONE Triumph', 'ONE Apus'], mainline: true },
  { name: 'Evergreen', owners: ['EGHU', 'EISU'], vessels: ['Ever Ace', 'Ever Alot', 'Ever Atop'], mainline: true },
  { name: 'COSCO', owners: ['CSNU', 'CBHU'], vessels: ['COSCO Shipping Universe', 'COSCO Shipping Taurus'], mainline: true },
  { name: 'HMM', owners: ['HMMU'], vessels: ['HMM Algeciras', 'HMM Rotterdam'], mainline: true },
  { name: 'Samskip', owners: ['SKIU'], vessels: ['Samskip Endeavour', 'Samskip Kvitnos'], mainline: false },
  { name: 'X-Press Feeders', owners: ['XINU'], vessels: ['X-Press Elbe', 'X-Press Maas', 'X-Press Humber'], mainline: false },
];

/** Leasing companies' prefixes: a good share of every line's boxes. */
const LESSORS = ['TGHU', 'TCLU', 'TRHU', 'SEGU', 'FCIU', 'CAIU', 'BMOU', 'GESU', 'TEMU'] as const;
const FLAGS = ['PA', 'LR', 'MT', 'SG', 'HK', 'DK', 'DE', 'PT', 'CY'] as const;

type Vessel = { imo: string; name: string; line: Line; loaM: number; draftM: number; teu: number; flag: string };

function makeFleet(rng: Rng): Vessel[] {
  const fleet: Vessel[] = [];
  const used = new Set<string>();
  for (const line of LINES) {
    for (const name of line.vessels) {
      let base = Number(`9${rng.digits(5)}`);
      while (used.has(imoNumber(String(base)))) base = base >= 999_999 ? 900_000 : base + 1;
      const imo = imoNumber(String(base));
      used.add(imo);
      const loaM = line.mainline ? rng.pick([366, 368, 399, 400, 334, 300]) : rng.pick([169, 180, 196, 211]);
      fleet.push({
        imo,
        name,
        line,
        loaM,
        draftM: line.mainline ? rng.real(13.5, 16.5) : rng.real(8.5, 11),
        teu: line.mainline ? rng.pick([13_092, 15_000, 19_224, 20_000, 23_756, 24_000]) : rng.pick([1036, 1400, 1700, 2500]),
        flag: rng.pick(FLAGS),
      });
    }
  }
  return fleet;
}

type Call = {
  vessel: Vessel;
  voyage: string;
  phase: 'Expected' | 'Anchored' | 'Assigned' | 'Alongside';
  etaMs: number;
  anchorage: (typeof ANCHORAGES)[number];
  berth: Berth | undefined;
  movesPlanned: number;
  movesDone: number;
  dischargeLeft: number;
};

const ISO_TYPES = [
  [46, '45G1', "40' high cube"],
  [28, '22G1', "20' dry"],
  [10, '42G1', "40' dry"],
  [11, '45R1', "40' reefer high cube"],
  [2, '22R1', "20' reefer"],
  [2, '22T6', "20' tank"],
  [1, '45U1', "40' open top"],
] as const;

const REEFER_CARGO = [
  { commodity: 'Bananas', setpointC: 13.3 },
  { commodity: 'Avocados', setpointC: 5.5 },
  { commodity: 'Table grapes', setpointC: -0.5 },
  { commodity: 'Citrus', setpointC: 4 },
  { commodity: 'Pharmaceuticals', setpointC: 5 },
  { commodity: 'Frozen fish', setpointC: -20 },
  { commodity: 'Frozen meat', setpointC: -18 },
  { commodity: 'Ice cream', setpointC: -25 },
] as const;

const DRY_CARGO = ['Furniture', 'Auto parts', 'Electronics', 'Textiles', 'Machinery', 'Toys', 'Chemicals (non-DG)', 'Paper', 'Household goods', 'Tyres'] as const;

type Box = {
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

// ---------------------------------------------------------------------------------------------
// Vocabulary for the rest of the day

const HAULIERS = ['Maasvlakte Trucking BV', 'Delta Haulage', 'Botlek Container Transport', 'Rijnmond Logistics', 'Europoort Express', 'Waalhaven Transport'] as const;
const PLATE_LETTERS = 'BDFGHJKLNPRSTVXZ';
const HOLD_TYPES = [
  [5, 'Documentary check', 'Medium'],
  [3, 'Scan (X-ray) inspection', 'High'],
  [1, 'Physical inspection', 'High'],
  [1, 'NVWA phytosanitary check', 'Medium'],
] as const;
const GATE_EXCEPTIONS = [
  'Seal number does not match the booking',
  'Damage reported at OCR portal (dent on side panel)',
  'VGM missing for export booking',
  'Booking not found in TOS',
  'Overweight: gross mass exceeds booking by more than 5%',
] as const;
const CRANE_FAULTS = [
  ['E-214', 'Spreader twistlock sensor fault'],
  ['E-107', 'Hoist drive overtemperature'],
  ['E-330', 'Gantry anti-collision system tripped'],
  ['E-051', 'Boom hoist brake fault'],
] as const;
const SYSTEMS = [
  { name: 'TOS (Navis N4)', source: 'tos' },
  { name: 'Portbase PCS gateway', source: 'portbase' },
  { name: 'EDI BAPLIE/COARRI feed', source: 'edi' },
  { name: 'Gate OCR portal', source: 'gate-ocr' },
  { name: 'Reefer monitoring (RCM)', source: 'reefer-monitor' },
  { name: 'AIS receiver', source: 'ais' },
] as const;

// ---------------------------------------------------------------------------------------------

type Draft = Omit<SimEvent, 'id' | 'status' | 'eventTime' | 'metadata' | 'portId'> & { portId?: string | null };

const MAX_EXPECTED = 4;
const MAX_ANCHORED = 6;
const MAX_YARD = 4000;

/**
 * Creates the generator. `next()` returns the next event as a Kafka record: topic
 * `container-events` for Container events, `port-events` for the rest, key = event id.
 */
export function createPortDay(options: PortDayOptions): PortDay {
  const { runId, seed = 1, now, legacyShare = 0.1 } = options;
  if (!(legacyShare >= 0 && legacyShare <= 1)) throw new RangeError(`legacyShare must be within 0..1, got ${legacyShare}`);
  const rng = makeRng(options.random ?? mulberry32(seed));
  const fleet = makeFleet(rng);
  const berths = makeBerths();
  const calls: Call[] = [];
  const imports: Box[] = [];
  const exports: Box[] = [];
  const pending: Draft[] = [];
  let n = 0;
  let eligible = 0;
  let serial = rng.int(100_000, 899_999);

  // ---- helpers over the state

  const jitter = (lat: number, lon: number, spread = 0.0015) => ({
    lat: Math.round((lat + (rng.float() - 0.5) * spread) * 1e6) / 1e6,
    lon: Math.round((lon + (rng.float() - 0.5) * spread * 1.6) * 1e6) / 1e6,
  });
  const inPhase = (phase: Call['phase']) => calls.filter((c) => c.phase === phase);
  const freeBerths = () => berths.filter((b) => !b.occupant);
  const voyage = () => `${rng.int(100, 999)}${rng.pick(['E', 'W', 'N', 'S'])}`;
  const plate = () => `${rng.digits(2)}-${rng.chars(PLATE_LETTERS, 3)}-${rng.digits(1)}`;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const yardPosition = () => `${rng.int(1, 9)}${rng.pick(['A', 'B', 'C', 'D', 'E'])}.${String(rng.int(1, 40)).padStart(2, '0')}.${String(rng.int(1, 9)).padStart(2, '0')}.${rng.int(1, 5)}`;
  const bayPosition = (vessel: Vessel) =>
    `${String(rng.int(1, vessel.line.mainline ? 94 : 40)).padStart(2, '0')}${String(rng.int(0, vessel.line.mainline ? 24 : 12)).padStart(2, '0')}${rng.chance(0.55) ? String(rng.int(41, 49) * 2) : String(rng.int(1, 9) * 2).padStart(2, '0')}`;

  function newBox(direction: Box['direction'], line?: Line): Box {
    const type = rng.weighted(ISO_TYPES.map((t) => [t[0], t] as const))!;
    const reeferCargo = type[1].includes('R') ? rng.pick(REEFER_CARGO) : undefined;
    const owner = rng.chance(0.35) ? rng.pick(LESSORS) : rng.pick((line ?? rng.pick(LINES)).owners);
    serial = serial >= 999_999 ? 100_000 : serial + rng.int(1, 97);
    return {
      id: containerNumber(owner, String(serial).padStart(6, '0')),
      isoType: type[1],
      typeName: type[2],
      line: (line ?? rng.pick(LINES)).name,
      weightKg: type[1].startsWith('2') ? rng.int(2_300, 28_000) : rng.int(3_900, 30_480),
      commodity: reeferCargo?.commodity ?? rng.pick(DRY_CARGO),
      reefer: reeferCargo ? { setpointC: reeferCargo.setpointC } : undefined,
      direction,
      yardPosition: yardPosition(),
      held: false,
    };
  }

  /** Removes and returns a random element (swap-remove). */
  function takeAt<T>(list: T[], index: number): T {
    const item = list[index]!;
    list[index] = list[list.length - 1]!;
    list.pop();
    return item;
  }

  /** Index of a random element matching `test`, after a few tries; -1 when none found. */
  function findIndex<T>(list: T[], test: (item: T) => boolean, tries = 12): number {
    for (let i = 0; i < tries && list.length > 0; i++) {
      const index = rng.int(0, list.length - 1);
      if (test(list[index]!)) return index;
    }
    return -1;
  }

  function newCall(phase: Call['phase']): Call | undefined {
    const busy = new Set(calls.map((c) => c.vessel.imo));
    const candidates = fleet.filter((v) => !busy.has(v.imo));
    if (candidates.length === 0) return undefined;
    const vessel = rng.pick(candidates);
    const movesPlanned = vessel.line.mainline ? rng.int(24, 80) : rng.int(10, 30);
    const call: Call = {
      vessel,
      voyage: voyage(),
      phase,
      etaMs: now() + rng.int(2, 30) * 3_600_000,
      anchorage: rng.pick(ANCHORAGES),
      berth: undefined,
      movesPlanned,
      movesDone: 0,
      dischargeLeft: Math.round(movesPlanned * rng.real(0.4, 0.6, 2)),
    };
    calls.push(call);
    return call;
  }

  function vesselData(call: Call): Record<string, unknown> {
    const v = call.vessel;
    return { imo: v.imo, vesselName: v.name, operator: v.line.name, voyage: call.voyage, flag: v.flag, loaM: v.loaM, draftM: v.draftM, teuCapacity: v.teu };
  }

  // The port is already busy when the simulation starts: no events for this set-up.
  for (let i = 0; i < 3; i++) newCall('Expected');
  for (let i = 0; i < 3; i++) newCall('Anchored');
  for (const berth of berths) {
    if (!rng.chance(0.6)) continue;
    const call = newCall('Alongside');
    if (!call) break;
    call.berth = berth;
    berth.occupant = call;
    call.movesDone = rng.int(0, call.movesPlanned - 1);
  }
  for (let i = 0; i < 400; i++) imports.push(newBox('Import'));
  for (let i = 0; i < 300; i++) exports.push(newBox('Export'));

  // ---- the kinds of events: each returns undefined when the state does not allow it now

  function vesselAnnounced(): Draft | undefined {
    const call = newCall('Expected');
    if (!call) return undefined;
    const v = call.vessel;
    return {
      eventType: 'VesselAnnounced',
      title: `${v.name} announced for ${hhmm(call.etaMs)} UTC (voyage ${call.voyage})`,
      description: `${v.line.name} ${v.name} (IMO ${v.imo}, ${v.flag}) pre-announced through Portbase. LOA ${v.loaM} m, draft ${v.draftM} m.`,
      category: 'Ship',
      severity: 'Low',
      source: 'portbase',
      containerId: null,
      shipId: v.imo,
      berthId: null,
      requiresAction: false,
      eventData: { ...vesselData(call), eta: new Date(call.etaMs).toISOString() },
      coordinates: null,
    };
  }

  function etaUpdated(): Draft | undefined {
    const expected = inPhase('Expected');
    if (expected.length === 0) return undefined;
    const call = rng.pick(expected);
    const deltaMin = rng.chance(0.7) ? rng.int(10, 240) : -rng.int(10, 90);
    const previous = call.etaMs;
    call.etaMs += deltaMin * 60_000;
    const late = deltaMin > 0;
    return {
      eventType: 'VesselEtaUpdated',
      title: `ETA ${call.vessel.name} ${late ? 'delayed' : 'advanced'} to ${hhmm(call.etaMs)} UTC (${late ? '+' : ''}${deltaMin} min)`,
      description: late && deltaMin > 120 ? 'Delay over two hours: berth plan and gang allocation need review.' : 'ETA update received from the agent.',
      category: 'Ship',
      severity: late && deltaMin > 120 ? 'Medium' : 'Low',
      source: 'portbase',
      containerId: null,
      shipId: call.vessel.imo,
      berthId: null,
      requiresAction: false,
      eventData: { ...vesselData(call), previousEta: new Date(previous).toISOString(), eta: new Date(call.etaMs).toISOString(), deltaMinutes: deltaMin },
      coordinates: null,
    };
  }

  function vesselArrived(): Draft | undefined {
    const expected = inPhase('Expected');
    if (expected.length === 0 || inPhase('Anchored').length >= MAX_ANCHORED) return undefined;
    const call = rng.pick(expected);
    call.phase = 'Anchored';
    const v = call.vessel;
    return {
      eventType: 'VesselArrived',
      title: `${v.name} arrived at ${call.anchorage.name}`,
      description: `${v.name} (IMO ${v.imo}) anchored awaiting berth; pilot ordered. Draft ${v.draftM} m.`,
      category: 'Ship',
      severity: 'Low',
      source: 'vts',
      containerId: null,
      shipId: v.imo,
      berthId: null,
      requiresAction: false,
      eventData: { ...vesselData(call), anchorage: call.anchorage.name, speedKn: 0, headingDeg: rng.int(0, 359) },
      coordinates: jitter(call.anchorage.lat, call.anchorage.lon, 0.02),
    };
  }

  function berthAssignment(): Draft | undefined {
    const anchored = inPhase('Anchored');
    if (anchored.length === 0) return undefined;
    const call = rng.pick(anchored);
    const v = call.vessel;
    const free = freeBerths().filter((b) => b.lengthM >= v.loaM && b.maxDraftM >= v.draftM);
    const occupied = berths.filter((b) => b.occupant);
    // The planner sometimes double-books a berth or picks one the vessel does not fit.
    if (occupied.length > 0 && (free.length === 0 ? rng.chance(0.04) : rng.chance(0.05))) {
      const berth = rng.pick(occupied);
      const other = berth.occupant!;
      const tooLong = v.loaM > berth.lengthM;
      const pilotOnBoard = rng.chance(0.2);
      return {
        eventType: 'BerthConflict',
        title: tooLong
          ? `Berth conflict at ${berth.id}: ${v.name} (LOA ${v.loaM} m) exceeds berth length ${berth.lengthM} m`
          : `Berth conflict at ${berth.id}: ${v.name} planned while ${other.vessel.name} is alongside`,
        description: `Berth plan puts ${v.name} on ${berth.id} (${berth.terminal.name}); ${other.vessel.name} has ${other.movesPlanned - other.movesDone} moves left.${pilotOnBoard ? ' Pilot already on board: re-plan immediately.' : ' Re-plan before pilot order.'}`,
        category: 'Berth',
        severity: pilotOnBoard ? 'Critical' : 'High',
        source: 'berth-planning',
        containerId: null,
        shipId: v.imo,
        berthId: berth.id,
        requiresAction: true,
        eventData: { ...vesselData(call), terminal: berth.terminal.name, conflictWith: other.vessel.imo, conflictVesselName: other.vessel.name, reason: tooLong ? 'LengthExceeded' : 'WindowOverlap', pilotOnBoard },
        coordinates: jitter(berth.lat, berth.lon),
      };
    }
    if (free.length === 0) return undefined;
    const berth = rng.pick(free);
    call.phase = 'Assigned';
    call.berth = berth;
    berth.occupant = call;
    const from = now() + rng.int(1, 6) * 3_600_000;
    return {
      eventType: 'BerthAssigned',
      title: `Berth ${berth.id} assigned to ${v.name}`,
      description: `${berth.terminal.name}, window ${hhmm(from)}–${hhmm(from + rng.int(14, 36) * 3_600_000)} UTC, ${rng.int(2, 4)} quay cranes.`,
      category: 'Berth',
      severity: 'Low',
      source: 'berth-planning',
      containerId: null,
      shipId: v.imo,
      berthId: berth.id,
      requiresAction: false,
      eventData: { ...vesselData(call), terminal: berth.terminal.name, windowStart: new Date(from).toISOString(), cranes: berth.cranes.slice(0, 3) },
      coordinates: jitter(berth.lat, berth.lon),
    };
  }

  function vesselBerthed(): Draft | undefined {
    const assigned = inPhase('Assigned');
    if (assigned.length === 0) return undefined;
    const call = rng.pick(assigned);
    call.phase = 'Alongside';
    const berth = call.berth!;
    return {
      eventType: 'VesselBerthed',
      title: `${call.vessel.name} all fast at ${berth.id}`,
      description: `${call.vessel.name} moored ${rng.pick(['port', 'starboard'])} side alongside ${berth.terminal.name}; ${call.dischargeLeft} discharge and ${call.movesPlanned - call.dischargeLeft} load moves planned.`,
      category: 'Ship',
      severity: 'Low',
      source: 'vts',
      containerId: null,
      shipId: call.vessel.imo,
      berthId: berth.id,
      requiresAction: false,
      eventData: { ...vesselData(call), terminal: berth.terminal.name, tugs: rng.int(2, 4), movesPlanned: call.movesPlanned },
      coordinates: jitter(berth.lat, berth.lon),
    };
  }

  function craneMove(): Draft | undefined {
    const working = calls.filter((c) => c.phase === 'Alongside' && c.movesDone < c.movesPlanned);
    if (working.length === 0) return undefined;
    const call = rng.pick(working);
    const berth = call.berth!;
    const v = call.vessel;
    const crane = rng.pick(berth.cranes.slice(0, 3));
    let moveType: 'Discharge' | 'Load' | 'Restow';
    let box: Box;
    if (rng.chance(0.03)) {
      moveType = 'Restow';
      box = newBox('Import', v.line);
    } else if (call.dischargeLeft > 0 || exports.length === 0) {
      moveType = 'Discharge';
      box = newBox('Import', v.line);
      if (call.dischargeLeft > 0) call.dischargeLeft--;
      if (imports.length < MAX_YARD) imports.push(box);
    } else {
      moveType = 'Load';
      box = takeAt(exports, rng.int(0, exports.length - 1));
    }
    call.movesDone++;
    const delayed = rng.chance(0.05);
    const cycleSec = delayed ? rng.int(300, 1200) : rng.int(95, 160);
    const bay = bayPosition(v);
    const verb = moveType === 'Load' ? 'onto' : moveType === 'Discharge' ? 'from' : 'on';
    return {
      eventType: 'CraneMove',
      title: `${moveType} ${box.id} ${verb} ${v.name} by ${crane}`,
      description: delayed
        ? `Move ${call.movesDone}/${call.movesPlanned} delayed ${Math.round(cycleSec / 60)} min: ${rng.pick(['twistlock not released', 'lashing bar left on', 'spreader misalignment', 'wind gust hold'])}.`
        : `Move ${call.movesDone}/${call.movesPlanned} at ${berth.id}, bay position ${bay}, yard ${box.yardPosition}.`,
      category: 'Container',
      severity: delayed ? 'Medium' : 'Low',
      source: 'tos',
      containerId: box.id,
      shipId: v.imo,
      berthId: berth.id,
      requiresAction: false,
      eventData: {
        craneId: crane,
        moveType,
        isoType: box.isoType,
        grossWeightKg: box.weightKg,
        bayPosition: bay,
        yardPosition: box.yardPosition,
        cycleTimeSec: cycleSec,
        vesselName: v.name,
        voyage: call.voyage,
        moveNumber: call.movesDone,
        movesPlanned: call.movesPlanned,
      },
      coordinates: jitter(berth.lat, berth.lon, 0.0008),
    };
  }

  function vesselDeparted(): Draft | undefined {
    const done = calls.filter((c) => c.phase === 'Alongside' && c.movesDone >= c.movesPlanned);
    if (done.length === 0) return undefined;
    const call = rng.pick(done);
    const berth = call.berth!;
    calls.splice(calls.indexOf(call), 1);
    berth.occupant = undefined;
    const late = rng.chance(0.15);
    const v = call.vessel;
    pending.push({
      eventType: 'BerthReleased',
      title: `Berth ${berth.id} released by ${v.name}`,
      description: `${berth.terminal.name} ${berth.id} available for the next call.`,
      category: 'Berth',
      severity: 'Low',
      source: 'berth-planning',
      containerId: null,
      shipId: v.imo,
      berthId: berth.id,
      requiresAction: false,
      eventData: { terminal: berth.terminal.name, previousVessel: v.name, movesCompleted: call.movesDone },
      coordinates: jitter(berth.lat, berth.lon),
    });
    return {
      eventType: 'VesselDeparted',
      title: `${v.name} departed ${berth.id}${late ? ` ${rng.int(1, 4)} h behind schedule` : ''}`,
      description: `${v.name} sailed from ${berth.terminal.name} after ${call.movesDone} moves; next port ${rng.pick(['Hamburg', 'Antwerp', 'Felixstowe', 'Le Havre', 'Bremerhaven', 'Gdansk', 'Algeciras'])}.`,
      category: 'Ship',
      severity: late ? 'Medium' : 'Low',
      source: 'vts',
      containerId: null,
      shipId: v.imo,
      berthId: berth.id,
      requiresAction: false,
      eventData: { ...vesselData(call), terminal: berth.terminal.name, movesCompleted: call.movesDone, behindSchedule: late },
      coordinates: jitter(berth.lat, berth.lon),
    };
  }

  function gateIn(): Draft | undefined {
    const box = newBox('Export');
    const gate = rng.pick(GATES);
    const lane = rng.int(1, 14);
    const truck = plate();
    const haulier = rng.pick(HAULIERS);
    const seal = `${rng.chars('ABCDEFGHJKLMNPRSTUVWXYZ', 2)}${rng.digits(7)}`;
    if (rng.chance(0.08)) {
      const reason = rng.pick(GATE_EXCEPTIONS);
      return {
        eventType: 'GateInException',
        title: `Gate-in exception for ${box.id}: ${reason}`,
        description: `Truck ${truck} (${haulier}) sent to the trouble lane at ${gate.name}, lane ${lane}.`,
        category: 'Container',
        severity: 'Medium',
        source: 'gate-ocr',
        containerId: box.id,
        shipId: null,
        berthId: null,
        requiresAction: true,
        eventData: { gate: gate.name, lane, truckPlate: truck, haulier, isoType: box.isoType, sealNumber: seal, reason },
        coordinates: jitter(gate.lat, gate.lon, 0.0006),
      };
    }
    if (exports.length < MAX_YARD) exports.push(box);
    return {
      eventType: 'GateIn',
      title: `Gate-in ${box.id} (${box.isoType}) at ${gate.name}`,
      description: `${box.typeName}, ${box.commodity}, ${box.weightKg.toLocaleString('en-US')} kg, for ${box.line}; stacked at ${box.yardPosition}.`,
      category: 'Container',
      severity: 'Low',
      source: 'gate-ocr',
      containerId: box.id,
      shipId: null,
      berthId: null,
      requiresAction: false,
      eventData: {
        gate: gate.name,
        lane,
        truckPlate: truck,
        haulier,
        isoType: box.isoType,
        grossWeightKg: box.weightKg,
        vgmKg: box.weightKg + rng.int(-150, 150),
        sealNumber: seal,
        bookingNumber: `${box.line.slice(0, 3).toUpperCase()}${rng.digits(8)}`,
        yardPosition: box.yardPosition,
        ocrConfidence: rng.real(0.9, 1, 3),
        ...(box.reefer ? { setpointC: box.reefer.setpointC } : {}),
      },
      coordinates: jitter(gate.lat, gate.lon, 0.0006),
    };
  }

  function gateOut(): Draft | undefined {
    if (imports.length === 0) return undefined;
    const gate = rng.pick(GATES);
    const truck = plate();
    const haulier = rng.pick(HAULIERS);
    const heldIndex = findIndex(imports, (b) => b.held, 3);
    if (heldIndex >= 0 && rng.chance(0.3)) {
      const box = imports[heldIndex]!;
      return {
        eventType: 'GateOutBlocked',
        title: `Gate-out refused for ${box.id}: customs hold`,
        description: `Truck ${truck} (${haulier}) arrived at ${gate.name} for a box still under customs hold; driver sent to the buffer.`,
        category: 'Container',
        severity: 'Medium',
        source: 'gate-ocr',
        containerId: box.id,
        shipId: null,
        berthId: null,
        requiresAction: true,
        eventData: { gate: gate.name, truckPlate: truck, haulier, yardPosition: box.yardPosition, reason: 'CustomsHold' },
        coordinates: jitter(gate.lat, gate.lon, 0.0006),
      };
    }
    const index = findIndex(imports, (b) => !b.held);
    if (index < 0) return undefined;
    const box = takeAt(imports, index);
    return {
      eventType: 'GateOut',
      title: `Gate-out ${box.id} at ${gate.name}`,
      description: `Picked up by ${haulier}, truck ${truck}; ${box.commodity}, ${box.weightKg.toLocaleString('en-US')} kg.`,
      category: 'Container',
      severity: 'Low',
      source: 'gate-ocr',
      containerId: box.id,
      shipId: null,
      berthId: null,
      requiresAction: false,
      eventData: { gate: gate.name, lane: rng.int(1, 14), truckPlate: truck, haulier, isoType: box.isoType, pinCode: rng.digits(6), turnTimeMin: rng.int(18, 75) },
      coordinates: jitter(gate.lat, gate.lon, 0.0006),
    };
  }

  function reeferAlarm(): Draft | undefined {
    const yard = rng.chance(0.5) ? imports : exports;
    const index = findIndex(yard, (b) => b.reefer !== undefined, 25);
    if (index < 0) return undefined;
    const box = yard[index]!;
    const setpoint = box.reefer!.setpointC;
    const powerLoss = rng.chance(0.12);
    const deviation = powerLoss ? rng.real(3, 9) : rng.chance(0.2) ? rng.real(5, 9) : rng.real(1.5, 4.9);
    const supply = Math.round((setpoint + deviation) * 10) / 10;
    const critical = powerLoss || deviation >= 5;
    return {
      eventType: 'ReeferTemperatureAlarm',
      title: powerLoss
        ? `Reefer ${box.id} power failure, supply air ${supply} °C (setpoint ${setpoint} °C)`
        : `Reefer ${box.id} supply air ${supply} °C, setpoint ${setpoint} °C`,
      description: `${box.commodity} at ${box.yardPosition}, deviation +${deviation} °C${powerLoss ? '; no power on the reefer rack' : ''}. ${critical ? 'Cargo at risk: send a reefer technician now.' : 'Check unit and plug.'}`,
      category: 'Container',
      severity: critical ? 'Critical' : 'High',
      source: 'reefer-monitor',
      containerId: box.id,
      shipId: null,
      berthId: null,
      requiresAction: true,
      eventData: {
        setpointC: setpoint,
        supplyAirC: supply,
        returnAirC: Math.round((supply + rng.real(0.5, 2)) * 10) / 10,
        deviationC: deviation,
        commodity: box.commodity,
        powerOn: !powerLoss,
        alarmCode: powerLoss ? 'AL-00' : rng.pick(['AL-20', 'AL-22', 'AL-31']),
        yardPosition: box.yardPosition,
      },
      coordinates: jitter(PORT.lat, PORT.lon - 0.03, 0.01),
    };
  }

  function customsHold(): Draft | undefined {
    const index = findIndex(imports, (b) => !b.held);
    if (index < 0) return undefined;
    const box = imports[index]!;
    box.held = true;
    const [, holdType, severity] = rng.weighted(HOLD_TYPES.map((h) => [h[0], h] as const))!;
    return {
      eventType: 'CustomsHold',
      title: `Customs hold on ${box.id}: ${holdType}`,
      description: `Douane Rotterdam placed a hold; box stays at ${box.yardPosition} until released. Declared: ${box.commodity}.`,
      category: 'Container',
      severity,
      source: 'customs',
      containerId: box.id,
      shipId: null,
      berthId: null,
      requiresAction: true,
      eventData: { authority: holdType.startsWith('NVWA') ? 'NVWA' : 'Douane', holdType, mrn: `26NL${rng.chars('0123456789ABCDEF', 12)}A${rng.int(0, 9)}`, yardPosition: box.yardPosition },
      coordinates: null,
    };
  }

  function customsRelease(): Draft | undefined {
    const index = findIndex(imports, (b) => b.held, 20);
    if (index < 0) return undefined;
    const box = imports[index]!;
    box.held = false;
    return {
      eventType: 'CustomsHoldReleased',
      title: `Customs hold released on ${box.id}`,
      description: `Released after ${rng.pick(['documentary check', 'scan', 'inspection'])}; box available for pick-up.`,
      category: 'Container',
      severity: 'Low',
      source: 'customs',
      containerId: box.id,
      shipId: null,
      berthId: null,
      requiresAction: false,
      eventData: { yardPosition: box.yardPosition },
      coordinates: null,
    };
  }

  function craneOutage(): Draft | undefined {
    const busy = berths.filter((b) => b.occupant?.phase === 'Alongside');
    if (busy.length === 0) return undefined;
    const berth = rng.pick(busy);
    const crane = rng.pick(berth.cranes);
    const [code, fault] = rng.pick(CRANE_FAULTS);
    return {
      eventType: 'CraneOutage',
      title: `Quay crane ${crane} out of service at ${berth.id}: ${fault}`,
      description: `Fault ${code}; ${berth.occupant!.vessel.name} worked with one crane less, estimated repair ${rng.int(1, 6)} h.`,
      category: 'Berth',
      severity: 'High',
      source: 'crane-plc',
      containerId: null,
      shipId: berth.occupant!.vessel.imo,
      berthId: berth.id,
      requiresAction: true,
      eventData: { craneId: crane, faultCode: code, fault, terminal: berth.terminal.name },
      coordinates: jitter(berth.lat, berth.lon, 0.0008),
    };
  }

  function weather(): Draft | undefined {
    const r = rng.float();
    if (r < 0.25) {
      const visibility = rng.int(200, 1000);
      return {
        eventType: 'VisibilityRestriction',
        title: `Fog: visibility ${visibility} m on the Maasmond`,
        description: 'VTS restrictions for inbound traffic; pilot boarding may be delayed.',
        category: 'Port',
        severity: 'Medium',
        source: 'vts',
        containerId: null,
        shipId: null,
        berthId: null,
        requiresAction: false,
        eventData: { visibilityM: visibility, area: 'Maasmond' },
        coordinates: jitter(PORT.lat + 0.03, PORT.lon - 0.1, 0.01),
      };
    }
    const gust = r < 0.85 ? rng.int(28, 39) : r < 0.98 ? rng.int(40, 49) : rng.int(50, 62);
    const severity: Severity = gust >= 50 ? 'Critical' : gust >= 40 ? 'High' : 'Medium';
    return {
      eventType: 'WeatherAlert',
      title: `Wind gusts ${gust} kn at Maasvlakte`,
      description:
        gust >= 50
          ? 'Storm: all quay cranes stopped and secured; no berthing of large vessels.'
          : gust >= 40
            ? 'Crane operations suspended above the wind limit until gusts ease.'
            : 'Crane drivers on wind watch; expect slower cycles.',
      category: 'Port',
      severity,
      source: 'weather',
      containerId: null,
      shipId: null,
      berthId: null,
      requiresAction: gust >= 40,
      eventData: { gustKn: gust, meanWindKn: gust - rng.int(6, 12), directionDeg: rng.int(200, 330), station: 'Maasvlakte' },
      coordinates: jitter(PORT.lat, PORT.lon, 0.01),
    };
  }

  function gateCongestion(): Draft | undefined {
    const gate = rng.pick(GATES);
    const queue = rng.int(25, 140);
    return {
      eventType: 'GateCongestion',
      title: `Truck queue of ${queue} at ${gate.name}`,
      description: `Average turn time ${rng.int(45, 120)} min; consider opening extra lanes or rescheduling time slots.`,
      category: 'Port',
      severity: queue > 100 ? 'High' : 'Medium',
      source: 'gate-ocr',
      containerId: null,
      shipId: null,
      berthId: null,
      requiresAction: queue > 100,
      eventData: { gate: gate.name, queueLength: queue, lanesOpen: rng.int(6, 14) },
      coordinates: jitter(gate.lat, gate.lon, 0.002),
    };
  }

  function systemHealth(): Draft | undefined {
    const system = rng.pick(SYSTEMS);
    const r = rng.float();
    if (r < 0.8) {
      return {
        eventType: 'HealthCheck',
        title: `${system.name} healthy`,
        description: `Heartbeat OK, latency ${rng.int(4, 180)} ms.`,
        category: 'System',
        severity: 'Low',
        source: system.source,
        containerId: null,
        shipId: null,
        berthId: null,
        requiresAction: false,
        eventData: { component: system.name, status: 'Healthy', latencyMs: rng.int(4, 180) },
        coordinates: null,
      };
    }
    if (r < 0.985) {
      const lagSec = rng.int(30, 900);
      return {
        eventType: 'IntegrationDegraded',
        title: `${system.name} lagging ${lagSec} s`,
        description: `Messages queue up behind ${system.name}; downstream views may be stale.`,
        category: 'System',
        severity: lagSec > 300 ? 'High' : 'Medium',
        source: system.source,
        containerId: null,
        shipId: null,
        berthId: null,
        requiresAction: lagSec > 300,
        eventData: { component: system.name, status: 'Degraded', lagSeconds: lagSec, backlog: lagSec * rng.int(5, 40) },
        coordinates: null,
      };
    }
    return {
      eventType: 'SystemOutage',
      title: `${system.name} unavailable`,
      description: `No heartbeat for ${rng.int(2, 10)} min; failover ${rng.chance(0.5) ? 'in progress' : 'not started'}. Fall back to manual procedures.`,
      category: 'System',
      severity: 'Critical',
      source: system.source,
      containerId: null,
      shipId: null,
      berthId: null,
      requiresAction: true,
      eventData: { component: system.name, status: 'Down' },
      coordinates: null,
    };
  }

  /** Relative frequencies; crane moves and gate traffic dominate as they do in a terminal. */
  function draft(): Draft {
    const fromQueue = pending.shift();
    if (fromQueue) return fromQueue;
    const yardFull = exports.length >= MAX_YARD;
    const kinds: [number, () => Draft | undefined][] = [
      [30, craneMove],
      [yardFull ? 3 : 14, gateIn],
      [imports.length === 0 ? 0 : 12 * Math.min(2, Math.max(0.25, imports.length / 800)), gateOut],
      [1.6, reeferAlarm],
      [1.4, customsHold],
      [1.1, customsRelease],
      [inPhase('Expected').length < MAX_EXPECTED ? 2 : 0, vesselAnnounced],
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
    // A kind that does not fit the current state is skipped; the next draw picks another.
    for (let attempt = 0; attempt < 20; attempt++) {
      const made = rng.weighted(kinds)!();
      if (made) return made;
    }
    return gateIn()!;
  }

  return {
    next(): SimRecord {
      n++;
      const ms = now();
      const d = draft();
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
      return {
        topic: topicForCategory(event.category),
        key: event.id,
        value: legacy ? toLegacy(event, rng, ms) : event,
        category: event.category,
        severity: event.severity,
        legacy,
      };
    },
  };
}
