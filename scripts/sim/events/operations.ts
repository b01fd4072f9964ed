/**
 * The port around the boxes and vessels: crane outages, weather, gate congestion, and the health
 * of the systems that feed the terminal. Each generator returns undefined when its event does not
 * fit the port's state now.
 */
import type { Severity } from '../../../protocol/enums.ts';
import { GATES, PORT } from '../data/port.ts';
import { CRANE_FAULTS, SYSTEMS } from '../data/vocabulary.ts';
import type { Draft } from '../event.ts';
import { jitter, type World } from '../world.ts';

export function craneOutage(w: World): Draft | undefined {
  const { rng } = w;
  const busy = w.berths.filter((b) => b.occupant?.phase === 'Alongside');
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
    coordinates: jitter(w, berth.lat, berth.lon, 0.0008),
  };
}

/** Fog on the Maasmond, or wind: Medium on watch, High above the crane limit, Critical in a storm. */
export function weather(w: World): Draft {
  const { rng } = w;
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
      coordinates: jitter(w, PORT.lat + 0.03, PORT.lon - 0.1, 0.01),
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
    eventData: {
      gustKn: gust,
      meanWindKn: gust - rng.int(6, 12),
      directionDeg: rng.int(200, 330),
      station: 'Maasvlakte',
    },
    coordinates: jitter(w, PORT.lat, PORT.lon, 0.01),
  };
}

export function gateCongestion(w: World): Draft {
  const { rng } = w;
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
    coordinates: jitter(w, gate.lat, gate.lon, 0.002),
  };
}

/** A system's heartbeat: mostly healthy, sometimes lagging, rarely down. */
export function systemHealth(w: World): Draft {
  const { rng } = w;
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
