/**
 * Realistic seed events (weights from a port day: containers dominate, few criticals), as rows of
 * the `events` table: the seed script's fast path (scripts/seed.ts) and the capacity benchmark
 * (bench/capacity.ts) write them straight into a local D1 file with node:sqlite.
 */
export type Weighted<T> = [T, number][];
export const pick = <T>(table: Weighted<T>): T => {
  let r = Math.random() * table.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of table) {
    r -= w;
    if (r < 0) return v;
  }
  return table[0]![0];
};
const CATEGORY: Weighted<string> = [
  ['Container', 40],
  ['Ship', 20],
  ['Berth', 15],
  ['Port', 15],
  ['System', 10],
];
const SEVERITY: Weighted<string> = [
  ['Critical', 4],
  ['High', 16],
  ['Medium', 50],
  ['Low', 30],
];
const STATUS: Weighted<string> = [
  ['New', 45],
  ['Acknowledged', 15],
  ['InProgress', 10],
  ['Resolved', 20],
  ['Closed', 10],
];
const TYPES: Record<string, [string, (e: string) => string][]> = {
  Container: [
    ['GateIn', (e) => `Container ${e} gated in`],
    ['GateOut', (e) => `Container ${e} gated out`],
    ['Discharged', (e) => `Container ${e} discharged from vessel`],
    ['ReeferAlarm', (e) => `Reefer alarm on container ${e}`],
    ['CustomsHold', (e) => `Customs hold placed on ${e}`],
  ],
  Ship: [
    ['Arrival', (e) => `Vessel ${e} arrived at pilot station`],
    ['Departure', (e) => `Vessel ${e} departed`],
    ['DelayReported', (e) => `Vessel ${e} reports delay`],
    ['BunkeringComplete', (e) => `Bunkering complete for ${e}`],
  ],
  Berth: [
    ['BerthAssigned', (e) => `Berth ${e} assigned`],
    ['CraneFault', (e) => `Crane fault at berth ${e}`],
    ['BerthCleared', (e) => `Berth ${e} cleared`],
  ],
  Port: [
    ['Weather', (e) => `Wind warning for ${e}`],
    ['GateCongestion', (e) => `Gate congestion at ${e}`],
    ['PilotShortage', (e) => `Pilot shortage in ${e}`],
  ],
  System: [
    ['Heartbeat', (e) => `Terminal system ${e} heartbeat missed`],
    ['Integration', (e) => `EDI feed ${e} delayed`],
    ['Maintenance', (e) => `Scheduled maintenance of ${e}`],
  ],
};
const DESCRIPTIONS = [
  'Operator attention needed before next shift.',
  'Reported by the terminal operating system.',
  'Automatic alert from sensor network.',
  'Follow up with the shipping line.',
  null,
  null,
];
const PREFIX = ['MSCU', 'MAEU', 'CMAU', 'HLXU', 'OOLU'];
const entity = (category: string): { id: string; col: 'container_id' | 'ship_id' | 'berth_id' | 'port_id' | null } => {
  const n = Math.floor(Math.random() * 1e6);
  switch (category) {
    case 'Container':
      return { id: `${PREFIX[n % 5]}${String(n).padStart(7, '0')}`, col: 'container_id' };
    case 'Ship':
      return { id: `IMO${9000000 + (n % 99999)}`, col: 'ship_id' };
    case 'Berth':
      return { id: `B${1 + (n % 40)}`, col: 'berth_id' };
    case 'Port':
      return { id: ['Rotterdam', 'Antwerp', 'Hamburg', 'Felixstowe'][n % 4]!, col: 'port_id' };
    default:
      return { id: `tos-${n % 20}`, col: null };
  }
};

/** The INSERT the rows are written with (bind `seedRow`'s values in order). */
export const SEED_INSERT_SQL = `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, description, event_time, received_at, updated_at,
  container_id, ship_id, berth_id, port_id, requires_action, is_resolved, assigned_to, deleted, doc)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`;

/**
 * Seed event number `i`, received at `receivedAt`, with the next seq of its room from `nextSeq`
 * (updated): the values of SEED_INSERT_SQL, in order.
 */
export function seedRow(
  i: number,
  receivedAt: number,
  runId: string,
  nextSeq: Map<string, number>,
  options: { openActionShare?: number } = {},
): (string | number | null)[] {
  const category = pick(CATEGORY);
  const severity = pick(SEVERITY);
  const requiresAction = severity === 'Critical' || Math.random() < 0.15;
  // `openActionShare` of the actions stay open; the rest were resolved by the time the row is
  // written (the capacity bench: a real terminal closes its actions, the seed's statuses do not).
  const drawn = pick(STATUS);
  const open = drawn !== 'Resolved' && drawn !== 'Closed';
  const status = requiresAction && open && Math.random() >= (options.openActionShare ?? 1) ? 'Resolved' : drawn;
  const [eventType, titleOf] = TYPES[category]![Math.floor(Math.random() * TYPES[category]!.length)]!;
  const ent = entity(category);
  const title = titleOf(ent.id);
  const description = DESCRIPTIONS[Math.floor(Math.random() * DESCRIPTIONS.length)]!;
  const seq = (nextSeq.get(category) ?? 0) + 1;
  nextSeq.set(category, seq);
  const resolved = status === 'Resolved' || status === 'Closed';
  const acked = status !== 'New';
  const iso = new Date(receivedAt).toISOString();
  const later = new Date(receivedAt + 600_000).toISOString();
  const id = `seed-${runId}-${i}`;
  const ids = {
    containerId: null as string | null,
    shipId: null as string | null,
    berthId: null as string | null,
    portId: null as string | null,
  };
  if (ent.col === 'container_id') ids.containerId = ent.id;
  else if (ent.col === 'ship_id') ids.shipId = ent.id;
  else if (ent.col === 'berth_id') ids.berthId = ent.id;
  else if (ent.col === 'port_id') ids.portId = ent.id;
  const assignedTo = acked && Math.random() < 0.5 ? `crew-${1 + (i % 12)}` : null;
  const doc = {
    id,
    category,
    severity,
    priority: severity,
    status,
    eventType,
    title,
    description,
    source: 'seed',
    eventTime: iso,
    ...ids,
    requiresAction,
    isResolved: resolved,
    eventData: { lane: i % 8 },
    metadata: {},
    coordinates: { lat: 51.9 + (i % 100) / 1000, lon: 4.1 + (i % 100) / 1000 },
    acknowledgedAt: acked ? later : null,
    acknowledgedBy: acked ? 'seed-operator' : null,
    assignedTo,
    resolvedAt: resolved ? later : null,
    resolvedBy: resolved ? 'seed-operator' : null,
    resolution: resolved ? 'handled' : null,
    origin: {
      kind: 'kafka',
      topic: category === 'Container' ? 'container-events' : 'port-events',
      partition: i % 3,
      offset: String(i),
    },
    receivedAt: iso,
    createdAt: iso,
    updatedAt: acked ? later : iso,
  };
  return [
    id,
    category,
    seq,
    severity,
    severity,
    status,
    eventType,
    title,
    description,
    receivedAt,
    receivedAt,
    acked ? receivedAt + 600_000 : receivedAt,
    ids.containerId,
    ids.shipId,
    ids.berthId,
    ids.portId,
    requiresAction ? 1 : 0,
    resolved ? 1 : 0,
    assignedTo,
    JSON.stringify(doc),
  ];
}
