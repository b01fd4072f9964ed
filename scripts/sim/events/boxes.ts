/**
 * A box's life in the terminal as events: crane moves on and off vessels, gate-in and gate-out
 * (and their exceptions), reefer alarms, customs holds and releases. Each generator returns
 * undefined when the yard's state does not allow its event now.
 */
import { GATES, PORT } from '../data/port.ts';
import {
  GATE_EXCEPTIONS,
  HAULIERS,
  HOLD_RELEASES,
  HOLD_TYPES,
  MOVE_DELAYS,
  REEFER_ALARM_CODES,
} from '../data/vocabulary.ts';
import type { Draft } from '../event.ts';
import { MAX_YARD, bayPosition, findIndex, jitter, newBox, plate, takeAt, type Box, type World } from '../world.ts';

/** One quay-crane move of a vessel alongside: discharge first, then load, now and then a restow. */
export function craneMove(w: World): Draft | undefined {
  const { rng } = w;
  const working = w.calls.filter((c) => c.phase === 'Alongside' && c.movesDone < c.movesPlanned);
  if (working.length === 0) return undefined;
  const call = rng.pick(working);
  const berth = call.berth!;
  const v = call.vessel;
  const crane = rng.pick(berth.cranes.slice(0, 3));
  let moveType: 'Discharge' | 'Load' | 'Restow';
  let box: Box;
  if (rng.chance(0.03)) {
    moveType = 'Restow';
    box = newBox(w, 'Import', v.line);
  } else if (call.dischargeLeft > 0 || w.exports.length === 0) {
    moveType = 'Discharge';
    box = newBox(w, 'Import', v.line);
    if (call.dischargeLeft > 0) call.dischargeLeft--;
    if (w.imports.length < MAX_YARD) w.imports.push(box);
  } else {
    moveType = 'Load';
    box = takeAt(w.exports, rng.int(0, w.exports.length - 1));
  }
  call.movesDone++;
  const delayed = rng.chance(0.05);
  const cycleSec = delayed ? rng.int(300, 1200) : rng.int(95, 160);
  const bay = bayPosition(rng, v);
  const verb = moveType === 'Load' ? 'onto' : moveType === 'Discharge' ? 'from' : 'on';
  return {
    eventType: 'CraneMove',
    title: `${moveType} ${box.id} ${verb} ${v.name} by ${crane}`,
    description: delayed
      ? `Move ${call.movesDone}/${call.movesPlanned} delayed ${Math.round(cycleSec / 60)} min: ${rng.pick(MOVE_DELAYS)}.`
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
    coordinates: jitter(w, berth.lat, berth.lon, 0.0008),
  };
}

/** A truck brings an export box in (now and then sent to the trouble lane instead). */
export function gateIn(w: World): Draft {
  const { rng } = w;
  const box = newBox(w, 'Export');
  const gate = rng.pick(GATES);
  const lane = rng.int(1, 14);
  const truck = plate(rng);
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
      coordinates: jitter(w, gate.lat, gate.lon, 0.0006),
    };
  }
  if (w.exports.length < MAX_YARD) w.exports.push(box);
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
    coordinates: jitter(w, gate.lat, gate.lon, 0.0006),
  };
}

/** A truck picks an import box up, unless customs still holds it. */
export function gateOut(w: World): Draft | undefined {
  const { rng } = w;
  if (w.imports.length === 0) return undefined;
  const gate = rng.pick(GATES);
  const truck = plate(rng);
  const haulier = rng.pick(HAULIERS);
  const heldIndex = findIndex(rng, w.imports, (b) => b.held, 3);
  if (heldIndex >= 0 && rng.chance(0.3)) {
    const box = w.imports[heldIndex]!;
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
      coordinates: jitter(w, gate.lat, gate.lon, 0.0006),
    };
  }
  const index = findIndex(rng, w.imports, (b) => !b.held);
  if (index < 0) return undefined;
  const box = takeAt(w.imports, index);
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
    eventData: {
      gate: gate.name,
      lane: rng.int(1, 14),
      truckPlate: truck,
      haulier,
      isoType: box.isoType,
      pinCode: rng.digits(6),
      turnTimeMin: rng.int(18, 75),
    },
    coordinates: jitter(w, gate.lat, gate.lon, 0.0006),
  };
}

/** A reefer in the yard off its setpoint; Critical on a power loss or a deviation of 5 °C or more. */
export function reeferAlarm(w: World): Draft | undefined {
  const { rng } = w;
  const yard = rng.chance(0.5) ? w.imports : w.exports;
  const index = findIndex(rng, yard, (b) => b.reefer !== undefined, 25);
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
      alarmCode: powerLoss ? 'AL-00' : rng.pick(REEFER_ALARM_CODES),
      yardPosition: box.yardPosition,
    },
    coordinates: jitter(w, PORT.lat, PORT.lon - 0.03, 0.01),
  };
}

export function customsHold(w: World): Draft | undefined {
  const { rng } = w;
  const index = findIndex(rng, w.imports, (b) => !b.held);
  if (index < 0) return undefined;
  const box = w.imports[index]!;
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
    eventData: {
      authority: holdType.startsWith('NVWA') ? 'NVWA' : 'Douane',
      holdType,
      mrn: `26NL${rng.chars('0123456789ABCDEF', 12)}A${rng.int(0, 9)}`,
      yardPosition: box.yardPosition,
    },
    coordinates: null,
  };
}

export function customsRelease(w: World): Draft | undefined {
  const { rng } = w;
  const index = findIndex(rng, w.imports, (b) => b.held, 20);
  if (index < 0) return undefined;
  const box = w.imports[index]!;
  box.held = false;
  return {
    eventType: 'CustomsHoldReleased',
    title: `Customs hold released on ${box.id}`,
    description: `Released after ${rng.pick(HOLD_RELEASES)}; box available for pick-up.`,
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
