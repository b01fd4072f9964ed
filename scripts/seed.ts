/**
 * `npm run seed -- --count 1000000 [--persist-to DIR] [--days 30]`: loads N realistic port
 * events into the LOCAL D1 that `wrangler dev` uses (.wrangler/state, or --persist-to DIR).
 *
 * Fast path: applies the migrations with wrangler, then writes the D1 SQLite file directly with
 * node:sqlite in large transactions. The FTS and counter triggers are dropped during the load
 * and recreated from their own SQL afterwards (one FTS rebuild and one GROUP BY beat a million
 * trigger runs). Stop `wrangler dev` on that state first.
 *
 * Seqs continue each room's maximum (in D1 or, archived, its archive cursor). The rooms' Durable Object storage (their seq
 * reservation) is then reset so each room relearns its highest seq from D1 on first use, as it
 * does after any storage reset (worker/room.ts ensureSeqBase).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { SEED_INSERT_SQL, seedRow } from './lib/seed-events.ts';

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

// 2. The rows: scripts/lib/seed-events.ts.
// 3. Load without the derived-data triggers; recreate them from their stored SQL afterwards.
const triggers = db
  .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
  .all() as { name: string; sql: string }[];
const nextSeq = new Map<string, number>();
for (const row of db
  .prepare(
    // Each room's highest seq, in D1 or moved to the archive (its cursor): a seed never reuses one.
    'SELECT category, MAX(s) AS s FROM (SELECT category, MAX(seq) AS s FROM events GROUP BY category UNION ALL SELECT category, through_seq FROM archive_state) GROUP BY category',
  )
  .all() as {
  category: string;
  s: number;
}[])
  nextSeq.set(row.category, row.s);

const insert = db.prepare(SEED_INSERT_SQL);

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
      insert.run(...seedRow(i, receivedAt, runId, nextSeq));
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
