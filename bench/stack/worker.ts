/**
 * Hosts the Worker in workerd through Miniflare's API (no `wrangler dev` proxy): the deploy
 * bundle, the bindings read from wrangler.toml at run time (so Durable Object classes and R2
 * buckets added later are picked up), a fresh persist folder, and migrations applied from migrations/.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from 'wrangler';
import { ROOT } from '../../scripts/lib/paths.ts';
import { descendantsNamed } from '../lib/proc.ts';

/** The bench's own bundle folder (the tests build into .data/build/worker; never race them). */
export const BUNDLE_DIR = path.join(ROOT, '.data/build/bench-worker');

/** Bundles the Worker exactly as a deploy would. */
export function buildWorker(): void {
  execFileSync('wrangler', ['deploy', '--dry-run', '--env=', '--outdir', BUNDLE_DIR], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CI: '1' },
  });
}

/** The statements of a migration file, in order (wrangler's own splitter: trigger bodies stay whole). */
export function migrationStatements(sqlText: string): string[] {
  return unstable_splitSqlQuery(sqlText)
    .map((s) => s.replace(/^\s*--[^\n]*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** Applies every migrations/*.sql in name order, one D1 batch (transaction) per file. */
export async function applyMigrations(db: D1Like, dir = path.join(ROOT, 'migrations')): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  for (const f of files) {
    const statements = migrationStatements(readFileSync(path.join(dir, f), 'utf8'));
    if (statements.length > 0) await db.batch(statements.map((s) => db.prepare(s)));
  }
  return files;
}

type D1Like = { prepare(sql: string): unknown; batch(statements: unknown[]): Promise<unknown> };

type V4Options = {
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  bindings?: Record<string, unknown>;
  durableObjects?: Record<string, unknown>;
  d1Databases?: Record<string, unknown>;
  r2Buckets?: Record<string, unknown>;
};

export type WorkerHost = {
  url: string;
  mf: Miniflare;
  /** The workerd processes Miniflare started for this host. */
  pids(): number[];
  countEvents(): Promise<number>;
  /** What the rule runners recorded (bench --rules): notifications, deliveries, and how far behind the cursors are. */
  ruleEffects(): Promise<Record<string, number>>;
  dispose(): Promise<void>;
};

export async function hostWorker(opts: { persistDir: string; vars: Record<string, string> }): Promise<WorkerHost> {
  const before = new Set(descendantsNamed(process.pid, 'workerd'));
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, 'wrangler.toml')) as unknown as {
    workerOptions: V4Options;
  };
  const mf = new Miniflare({
    ...convertV4MiniflareOptions({
      host: '127.0.0.1',
      port: 0,
      log: new Log(LogLevel.WARN),
      cf: false,
      modules: true,
      scriptPath: path.join(BUNDLE_DIR, 'index.js'),
      compatibilityDate: workerOptions.compatibilityDate,
      compatibilityFlags: workerOptions.compatibilityFlags,
      durableObjects: workerOptions.durableObjects,
      d1Databases: Object.fromEntries(
        Object.keys(workerOptions.d1Databases ?? { DB: 1 }).map((k) => [k, `bench-${k}`]),
      ),
      r2Buckets: Object.fromEntries(Object.keys(workerOptions.r2Buckets ?? {}).map((k) => [k, `bench-${k}`])),
      bindings: { ...workerOptions.bindings, ...opts.vars },
    } as never),
    // v5's one storage root (the v4 converter drops d1Persist / durableObjectsPersist)
    resourcePersistencePath: opts.persistDir,
  } as never);
  const url = (await mf.ready).href.replace(/\/$/, '');
  const db = await mf.getD1Database('DB');
  await applyMigrations(db as unknown as D1Like);
  const mine = descendantsNamed(process.pid, 'workerd').filter((p) => !before.has(p));
  return {
    url,
    mf,
    pids: () => mine,
    async countEvents() {
      const row = await db.prepare('SELECT count(*) AS n FROM events').first<{ n: number }>();
      return row?.n ?? 0;
    },
    async ruleEffects() {
      const row = await db
        .prepare(
          `SELECT (SELECT count(*) FROM notifications) AS ruleNotifications,
             (SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered') AS ruleDeliveriesDelivered,
             (SELECT count(*) FROM webhook_deliveries) AS ruleDeliveries,
             (SELECT COALESCE(MAX(m.s - c.seq), 0) FROM rule_cursors c
                JOIN (SELECT category, MAX(seq) AS s FROM events GROUP BY category) m ON m.category = c.category) AS ruleCursorLagMax`,
        )
        .first<Record<string, number>>();
      return row ?? {};
    },
    dispose: () => mf.dispose(),
  };
}
