/**
 * `npm start`: the whole stack on this machine — a real Kafka broker, the Worker (wrangler dev:
 * local D1, Durable Objects and the built dashboard) on http://127.0.0.1:8787, the bridge, and
 * the simulator (SIMULATE=0 turns it off). Logs are prefixed per process; Ctrl-C stops all.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signJwt } from '../protocol/jwt.ts';
import { devSecrets } from './dev-secrets.ts';
import { LOCAL_BROKER } from './lib/local-broker.ts';
import { ROOT } from './lib/paths.ts';
import { spawnProcessGroup, stopProcessGroup } from './lib/process-group.ts';

const PORT = Number(process.env.PORT ?? 8787);
const BROKERS = process.env.KAFKA_BROKERS ?? LOCAL_BROKER;
const SIMULATE = process.env.SIMULATE !== '0';
const SIM_RATE = process.env.SIM_RATE ?? '5';
/** PERSIST_TO: keep local D1/DO state elsewhere than .wrangler/state (tests use a fresh folder). */
const persist = process.env.PERSIST_TO ? ['--persist-to', process.env.PERSIST_TO] : [];
const COLORS: Record<string, string> = { kafka: '35', worker: '36', bridge: '33', sim: '32', start: '1' };

function say(name: string, line: string): void {
  const tag = process.stdout.isTTY ? `\x1b[${COLORS[name] ?? '0'}m[${name}]\x1b[0m` : `[${name}]`;
  process.stdout.write(`${tag} ${line}\n`);
}

function step(name: string, cmd: string, args: string[]): void {
  say('start', `${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (r.status !== 0) {
    say('start', `${name} failed (exit ${r.status}); stopping`);
    process.exit(1);
  }
}

const children: { name: string; child: ChildProcess }[] = [];

function run(name: string, cmd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawnProcessGroup(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pipe = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) say(name, line);
  };
  child.stdout!.on('data', pipe);
  child.stderr!.on('data', pipe);
  child.on('exit', (code, signal) => {
    say(name, `exited (${signal ?? code})`);
    if (!stopping) void stop(1);
  });
  children.push({ name, child });
  return child;
}

let stopping = false;
let startedKafka = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('start', 'stopping…');
  for (const { name, child } of [...children].reverse()) {
    await stopProcessGroup(child, {
      graceMs: 10_000,
      onKill: () => say('start', `${name} did not stop in 10 s; killing`),
    });
  }
  if (startedKafka) spawnSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'stop'], { stdio: 'inherit' });
  say('start', 'stopped');
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const secrets = devSecrets();
step('dashboard build', 'vite', ['build', 'web', '--logLevel', 'warn']);
// A broker that was already running (another stack, the test suite) is left running on exit.
startedKafka = spawnSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'status']).status !== 0;
step('kafka', 'bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start']);
step('d1 migrations', 'wrangler', ['d1', 'migrations', 'apply', 'DB', '--local', ...persist]);

run(
  'worker',
  'wrangler',
  ['dev', '--ip', '127.0.0.1', '--port', String(PORT), '--show-interactive-dev-session=false', ...persist],
  { CI: '1' },
);
const workerUrl = `http://127.0.0.1:${PORT}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${workerUrl}/healthz`)).ok) break;
  } catch {
    // not up yet
  }
  if (i > 300) {
    say('start', 'the Worker did not come up in 60 s');
    await stop(1);
  }
  await sleep(200);
}

run('bridge', process.execPath, [path.join(ROOT, 'bridge/src/main.ts')], {
  WORKER_URL: workerUrl,
  INGEST_TOKEN: secrets.INGEST_TOKEN,
  KAFKA_BROKERS: BROKERS,
});
if (SIMULATE)
  run('sim', process.execPath, [
    path.join(ROOT, 'scripts/simulate.ts'),
    '--rate',
    SIM_RATE,
    '--minutes',
    '0',
    '--brokers',
    BROKERS,
  ]);

// The archive run (docs/archive.md): a deployment's cron does it every 15 minutes; wrangler dev
// runs no crons, so the stack calls the same run itself (ARCHIVE_EVERY_MS, 0 = never).
const ARCHIVE_EVERY_MS = Number(process.env.ARCHIVE_EVERY_MS ?? 15 * 60_000);
async function archiveRun(): Promise<void> {
  try {
    const res = await fetch(`${workerUrl}/internal/archive`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secrets.INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const report = (await res.json()) as { moved?: number; objects?: number; more?: boolean };
    if (!res.ok) say('archive', `run answered ${res.status}`);
    else if (report.moved)
      say('archive', `moved ${report.moved} changes older than HOT_DAYS to R2 (${report.objects} objects)`);
  } catch (err) {
    say('archive', `run failed: ${(err as Error).message}`);
  }
}
if (ARCHIVE_EVERY_MS > 0) setInterval(() => void archiveRun(), ARCHIVE_EVERY_MS).unref();

const now = Math.floor(Date.now() / 1000);
const token = await signJwt(
  { sub: 'local-operator', name: 'Local operator', role: 'admin', iat: now, exp: now + 12 * 3600 },
  secrets.JWT_SECRET,
);
say('start', `dashboard: ${workerUrl}/#token=${token}`);
say(
  'start',
  `bridge metrics: http://127.0.0.1:${process.env.METRICS_PORT ?? 9464}/metrics · simulator ${SIMULATE ? `on (${SIM_RATE}/s)` : 'off'} · Ctrl-C stops everything`,
);
