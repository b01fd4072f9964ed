/**
 * `node scripts/api-latency.ts --url http://127.0.0.1:8799 [--reps 7] [--full-export]`:
 * latency of the read API against a running Worker (e.g. `wrangler dev` on seeded state, see
 * docs/api.md): list filter combinations, stats and CSV export, time to first byte and total,
 * median and worst of `reps` runs after one warm-up.
 */
import { signJwt } from '../protocol/jwt.ts';
import { devSecrets } from './dev-secrets.ts';

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] ? process.argv[at + 1]! : fallback;
}

const base = arg('url', 'http://127.0.0.1:8799');
const reps = Number(arg('reps', '7'));
const secret = process.env.JWT_SECRET ?? devSecrets().JWT_SECRET;
const now = Math.floor(Date.now() / 1000);
const jwt = await signJwt({ sub: 'latency-probe', role: 'viewer', iat: now, exp: now + 3600 }, secret);
const headers = { authorization: `Bearer ${jwt}` };

async function timed(
  path: string,
): Promise<{ status: number; ttfb: number; total: number; bytes: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, { headers });
  const ttfb = performance.now() - t0;
  const body = await res.text();
  return { status: res.status, ttfb, total: performance.now() - t0, bytes: body.length, body };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => ms.toFixed(ms < 10 ? 1 : 0).padStart(7);

const day = new Date(Date.now() - 86_400_000).toISOString();
const firstPage = JSON.parse((await timed('/api/events?limit=100')).body) as { nextCursor: string };
const stats = JSON.parse((await timed('/api/stats')).body) as {
  total: number;
  rooms: Record<string, { lastSeq: number }>;
};
const berthSeq = stats.rooms.Berth?.lastSeq ?? 0;
console.log(`# ${base}: ${stats.total} events; ${reps} runs each after a warm-up (ms)`);

const cases: [string, string][] = [
  ['list, no filter (limit 100)', '/api/events'],
  ['list, next page (cursor)', `/api/events?cursor=${firstPage.nextCursor}`],
  ['list, category=Container', '/api/events?category=Container'],
  ['list, severity=Critical,High', '/api/events?severity=Critical,High'],
  ['list, category=Ship&status=New', '/api/events?category=Ship&status=New'],
  [
    'list, category=Berth&severity=Critical&status=Closed',
    '/api/events?category=Berth&severity=Critical&status=Closed',
  ],
  ['list, q=crane', '/api/events?q=crane'],
  ['list, q=rotterdam&severity=High', '/api/events?q=rotterdam&severity=High'],
  ['list, q=MSCU0012 (rare prefix)', '/api/events?q=MSCU0012'],
  ['list, from=<24 h ago>', `/api/events?from=${encodeURIComponent(day)}`],
  ['list, unread=true', '/api/events?unread=true'],
  ['list, limit=500', '/api/events?limit=500'],
  ['list, category=Berth&after=<lastSeq-1000>', `/api/events?category=Berth&after=${Math.max(0, berthSeq - 1000)}`],
  ['stats', '/api/stats'],
  ['export.csv, category=Berth&severity=Critical', '/api/events/export.csv?category=Berth&severity=Critical'],
];

console.log(`| case | status | rows/bytes | TTFB median | TTFB max | total median | total max |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
for (const [name, path] of cases) {
  await timed(path); // warm-up
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await timed(path));
  const last = runs[runs.length - 1]!;
  const size = path.includes('export.csv') ? `${last.body.split('\r\n').length - 2} rows` : `${last.bytes} B`;
  console.log(
    `| ${name} | ${last.status} | ${size} | ${fmt(median(runs.map((r) => r.ttfb)))} | ${fmt(Math.max(...runs.map((r) => r.ttfb)))} | ${fmt(median(runs.map((r) => r.total)))} | ${fmt(Math.max(...runs.map((r) => r.total)))} |`,
  );
}

if (process.argv.includes('--full-export')) {
  const r = await timed('/api/events/export.csv');
  console.log(
    `| export.csv, everything (once) | ${r.status} | ${r.body.split('\r\n').length - 2} rows, ${(r.bytes / 1e6).toFixed(0)} MB | ${fmt(r.ttfb)} | | ${fmt(r.total)} | |`,
  );
}
