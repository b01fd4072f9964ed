/**
 * `npm run seed -- --count 1000000 [--persist-to DIR] [--days 30]`: loads N realistic port
 * events into the LOCAL D1 that `wrangler dev` uses (.wrangler/state, or --persist-to DIR).
 *
 * Fast path: applies the migrations with wrangler, then writes the D1 SQLite file directly with
 * node:sqlite in large transactions. The FTS and counter triggers are dropped during the load
 * and recreated from their own SQL afterwards (one FTS rebuild and one GROUP BY beat a million
 * trigger runs). Stop `wrangler dev` on that state first.
 *
 * Seqs continue each room's D1 maximum. The rooms' Durable Object storage (their seq
 * reservation) is then reset so each room relearns its highest seq from D1 on first use, as it
 * does after any storage reset (worker/room.ts ensureSeqBase).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const count = Number(arg('count', '100000'));
const days = Number(arg('days', '30'));
const persistTo = path.resolve(root, arg('persist-to', '.wrangler/state'));
if (!Number.isSafeInteger(count) || count <= 0) throw new Error('--count must be a positive integer');
if (!(days > 0)) throw new Error('--days must be positive');

// 1. Migrations, through wrangler, so d1_migrations stays right for later `migrations apply`.
// (--persist-to names the directory that holds v3/; wrangler adds v3 itself.)
const wranglerPersist = path.basename(persistTo) === 'v3' ? path.dirname(persistTo) : persistTo;
execFileSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', wranglerPersist], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, CI: '1' },
});

const d1Dir = path.join(wranglerPersist, 'v3', 'd1', 'miniflare-D1DatabaseObject');
const files = readdirSync(d1Dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
const file = files.map((f) => path.join(d1Dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
if (!file) throw new Error(`no D1 database under ${d1Dir}`);
console.error(`[seed] ${count} events into ${path.relative(root, file)}`);

const db = new DatabaseSync(file);
db.exec(
  'PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -262144;',
);

// 2. Realistic shape: weights from a port day (containers dominate, few criticals).
type Weighted<T> = [T, number][];
const pick = <T>(table: Weighted<T>): T => {
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

// 3. Load without the derived-data triggers; recreate them from their stored SQL afterwards.
const triggers = db
  .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
  .all() as { name: string; sql: string }[];
const nextSeq = new Map<string, number>();
for (const row of db.prepare('SELECT category, MAX(seq) AS s FROM events GROUP BY category').all() as {
  category: string;
  s: number;
}[])
  nextSeq.set(row.category, row.s);

const insert =
  db.prepare(`INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, description, event_time, received_at, updated_at,
  container_id, ship_id, berth_id, port_id, requires_action, is_resolved, assigned_to, deleted, doc)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`);

const started = Date.now();
const now = Date.now();
const span = days * 86_400_000;
const runId = now.toString(36);
const BATCH = 20_000;
try {
  for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
  for (let done = 0; done < count; done += BATCH) {
    db.exec('BEGIN');
    const n = Math.min(BATCH, count - done);
    for (let k = 0; k < n; k++) {
      const i = done + k;
      // received times ascend with i, so each room's seq order is its arrival order
      const receivedAt = now - span + Math.floor((i / count) * span) + Math.floor(Math.random() * 1000);
      const category = pick(CATEGORY);
      const severity = pick(SEVERITY);
      const status = pick(STATUS);
      const [eventType, titleOf] = TYPES[category]![Math.floor(Math.random() * TYPES[category]!.length)]!;
      const ent = entity(category);
      const title = titleOf(ent.id);
      const description = DESCRIPTIONS[Math.floor(Math.random() * DESCRIPTIONS.length)]!;
      const seq = (nextSeq.get(category) ?? 0) + 1;
      nextSeq.set(category, seq);
      const resolved = status === 'Resolved' || status === 'Closed';
      const acked = status !== 'New';
      const requiresAction = severity === 'Critical' || Math.random() < 0.15;
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
      insert.run(
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
      );
    }
    db.exec('COMMIT');
    if ((done / BATCH) % 10 === 0)
      console.error(`[seed] ${done + n} rows (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  console.error('[seed] rebuilding the full-text index and counters');
  db.exec("INSERT INTO events_fts (events_fts) VALUES ('rebuild')");
  db.exec(`DELETE FROM event_counts;
    INSERT INTO event_counts (category, severity, status, requires_action, n)
    SELECT category, severity, status, requires_action, COUNT(*) FROM events WHERE deleted = 0 GROUP BY 1, 2, 3, 4;`);
} finally {
  for (const t of triggers) {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(t.name);
    if (!exists) db.exec(t.sql);
  }
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  db.close();
}

const rooms = path.join(wranglerPersist, 'v3', 'do', 'quaycast-Room');
if (existsSync(rooms)) {
  rmSync(rooms, { recursive: true, force: true });
  console.error("[seed] reset the rooms' Durable Object storage (they relearn their seq from D1)");
}
const total = (Date.now() - started) / 1000;
console.error(`[seed] ${count} events in ${total.toFixed(1)} s (${Math.round(count / total)} rows/s)`);
