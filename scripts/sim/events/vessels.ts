/**
 * A vessel's call as events: announced, ETA updates, arrived at the anchorage, a berth assigned
 * (or a berth conflict), berthed, departed (and the berth released). Each generator returns
 * undefined when the port's state does not allow its event now.
 */
import { NEXT_PORTS } from '../data/port.ts';
import type { Draft } from '../event.ts';
import { MAX_ANCHORED, freeBerths, hhmm, inPhase, jitter, newCall, vesselData, type World } from '../world.ts';

export function vesselAnnounced(w: World): Draft | undefined {
  const call = newCall(w, 'Expected');
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

export function etaUpdated(w: World): Draft | undefined {
  const { rng } = w;
  const expected = inPhase(w, 'Expected');
  if (expected.length === 0) return undefined;
  const call = rng.pick(expected);
  const deltaMin = rng.chance(0.7) ? rng.int(10, 240) : -rng.int(10, 90);
  const previous = call.etaMs;
  call.etaMs += deltaMin * 60_000;
  const late = deltaMin > 0;
  return {
    eventType: 'VesselEtaUpdated',
    title: `ETA ${call.vessel.name} ${late ? 'delayed' : 'advanced'} to ${hhmm(call.etaMs)} UTC (${late ? '+' : ''}${deltaMin} min)`,
    description:
      late && deltaMin > 120
        ? 'Delay over two hours: berth plan and gang allocation need review.'
        : 'ETA update received from the agent.',
    category: 'Ship',
    severity: late && deltaMin > 120 ? 'Medium' : 'Low',
    source: 'portbase',
    containerId: null,
    shipId: call.vessel.imo,
    berthId: null,
    requiresAction: false,
    eventData: {
      ...vesselData(call),
      previousEta: new Date(previous).toISOString(),
      eta: new Date(call.etaMs).toISOString(),
      deltaMinutes: deltaMin,
    },
    coordinates: null,
  };
}

export function vesselArrived(w: World): Draft | undefined {
  const { rng } = w;
  const expected = inPhase(w, 'Expected');
  if (expected.length === 0 || inPhase(w, 'Anchored').length >= MAX_ANCHORED) return undefined;
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
    coordinates: jitter(w, call.anchorage.lat, call.anchorage.lon, 0.02),
  };
}

/** A berth for an anchored vessel; the planner sometimes double-books one or picks one the vessel does not fit. */
export function berthAssignment(w: World): Draft | undefined {
  const { rng } = w;
  const anchored = inPhase(w, 'Anchored');
  if (anchored.length === 0) return undefined;
  const call = rng.pick(anchored);
  const v = call.vessel;
  const free = freeBerths(w).filter((b) => b.lengthM >= v.loaM && b.maxDraftM >= v.draftM);
  const occupied = w.berths.filter((b) => b.occupant);
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
      eventData: {
        ...vesselData(call),
        terminal: berth.terminal.name,
        conflictWith: other.vessel.imo,
        conflictVesselName: other.vessel.name,
        reason: tooLong ? 'LengthExceeded' : 'WindowOverlap',
        pilotOnBoard,
      },
      coordinates: jitter(w, berth.lat, berth.lon),
    };
  }
  if (free.length === 0) return undefined;
  const berth = rng.pick(free);
  call.phase = 'Assigned';
  call.berth = berth;
  berth.occupant = call;
  const from = w.now() + rng.int(1, 6) * 3_600_000;
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
    eventData: {
      ...vesselData(call),
      terminal: berth.terminal.name,
      windowStart: new Date(from).toISOString(),
      cranes: berth.cranes.slice(0, 3),
    },
    coordinates: jitter(w, berth.lat, berth.lon),
  };
}

export function vesselBerthed(w: World): Draft | undefined {
  const { rng } = w;
  const assigned = inPhase(w, 'Assigned');
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
    eventData: {
      ...vesselData(call),
      terminal: berth.terminal.name,
      tugs: rng.int(2, 4),
      movesPlanned: call.movesPlanned,
    },
    coordinates: jitter(w, berth.lat, berth.lon),
  };
}

/** A vessel whose moves are done sails; its berth's release is owed as the next event. */
export function vesselDeparted(w: World): Draft | undefined {
  const { rng } = w;
  const done = w.calls.filter((c) => c.phase === 'Alongside' && c.movesDone >= c.movesPlanned);
  if (done.length === 0) return undefined;
  const call = rng.pick(done);
  const berth = call.berth!;
  w.calls.splice(w.calls.indexOf(call), 1);
  berth.occupant = undefined;
  const late = rng.chance(0.15);
  const v = call.vessel;
  w.pending.push({
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
    coordinates: jitter(w, berth.lat, berth.lon),
  });
  return {
    eventType: 'VesselDeparted',
    title: `${v.name} departed ${berth.id}${late ? ` ${rng.int(1, 4)} h behind schedule` : ''}`,
    description: `${v.name} sailed from ${berth.terminal.name} after ${call.movesDone} moves; next port ${rng.pick(NEXT_PORTS)}.`,
    category: 'Ship',
    severity: late ? 'Medium' : 'Low',
    source: 'vts',
    containerId: null,
    shipId: v.imo,
    berthId: berth.id,
    requiresAction: false,
    eventData: {
      ...vesselData(call),
      terminal: berth.terminal.name,
      movesCompleted: call.movesDone,
      behindSchedule: late,
    },
    coordinates: jitter(w, berth.lat, berth.lon),
  };
}
