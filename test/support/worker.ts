/**
 * Hosts the Worker in real workerd with `wrangler dev` (the same path as `npm start`): local D1
 * and Durable Objects persisted in a folder, so the Worker can be stopped and started again on
 * the same state. D1 is read back directly from its SQLite file (node:sqlite), independently of
 * the Worker.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../scripts/lib/free-port.ts';
import { spawnProcessGroup, stopProcessGroup } from '../../scripts/lib/process-group.ts';
import { BUILD_DIR, ROOT, TEST_SECRETS } from './paths.ts';

/** Bundles the Worker exactly as a deploy would; a type or bundling error fails fast here. */
export function buildWorker(): void {
  execFileSync('wrangler', ['deploy', '--dry-run', '--env=', '--outdir', BUILD_DIR], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export type WorkerHost = {
  url: string;
  port: number;
  persistDir: string;
  logs: string[];
  /** Stops workerd; state stays in persistDir. */
  stop(): Promise<void>;
  /** Starts the Worker again on the same port and state. */
  start(): Promise<void>;
  /** Runs a read-only query on the Worker's local D1 file. */
  query<T>(sql: string, ...params: (string | number)[]): T[];
  /**
   * Runs SQL that writes to the Worker's local D1 file, from outside the Worker (SQLite's file
   * locks keep it consistent with workerd's connection). For causing real D1 faults, e.g. a
   * trigger that makes one category's inserts fail.
   */
  exec(sql: string): void;
};

/** The SQLite file behind the Worker's local D1 database. */
function d1File(persistDir: string): string {
  const dir = path.join(persistDir, 'v3/d1/miniflare-D1DatabaseObject');
  const file = existsSync(dir)
    ? readdirSync(dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')
    : undefined;
  if (!file) throw new Error(`no local D1 file under ${dir}`);
  return path.join(dir, file);
}

export async function startWorker(opts: { vars?: Record<string, string> } = {}): Promise<WorkerHost> {
  const persistDir = mkdtempSync(path.join(tmpdir(), 'quaycast-worker-'));
  const port = await freePort();
  const vars = { ...TEST_SECRETS, LOG_LEVEL: 'info', ...opts.vars };
  execFileSync('wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, CI: '1' },
  });
  const logs: string[] = [];
  let child: ChildProcess | undefined;

  const host: WorkerHost = {
    url: `http://127.0.0.1:${port}`,
    port,
    persistDir,
    logs,
    async start() {
      child = spawnProcessGroup(
        'wrangler',
        [
          'dev',
          '--ip',
          '127.0.0.1',
          '--port',
          String(port),
          '--persist-to',
          persistDir,
          '--show-interactive-dev-session=false',
          '--inspector-port',
          '0',
          ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
      );
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(line);
        if (logs.length > 10_000) logs.splice(0, logs.length - 10_000);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`wrangler dev exited:\n${logs.slice(-30).join('\n')}`);
        try {
          const res = await fetch(`${host.url}/healthz`, { signal: AbortSignal.timeout(2000) });
          if (res.ok) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline)
          throw new Error(`wrangler dev did not answer /healthz in 60 s:\n${logs.slice(-30).join('\n')}`);
        await sleep(200);
      }
    },
    async stop() {
      if (child) await stopProcessGroup(child, { graceMs: 5000 }); // the whole group: wrangler and its workerd
    },
    query<T>(sql: string, ...params: (string | number)[]): T[] {
      const db = new DatabaseSync(d1File(persistDir), { readOnly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    exec(sql: string): void {
      const db = new DatabaseSync(d1File(persistDir));
      try {
        db.exec('PRAGMA busy_timeout = 5000');
        db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
  await host.start();
  return host;
}
