/**
 * `npm run soak [-- --events 25000 --rate 100 --clients 50]`: the chaos soak (test/soak/soak.ts)
 * at full size. Prints the counts, writes them to bench/results/soak.json (or --out FILE), and
 * exits 1 when anything was lost, duplicated, misplaced or out of order.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runSoak } from '../test/soak/soak.ts';
import { ROOT } from './lib/paths.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '25000' },
    rate: { type: 'string', default: '100' },
    clients: { type: 'string', default: '50' },
    hostile: { type: 'string', default: '0.01' },
    odd: { type: 'string', default: '0.02' },
    out: { type: 'string', default: path.join(ROOT, 'bench/results/soak.json') },
  },
});
const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`[soak] --${name} must be a positive number`);
    process.exit(2);
  }
  return n;
};
const events = num('events', values.events);
const rate = num('rate', values.rate);
const command = `npm run soak -- ${process.argv.slice(2).join(' ')}`.trim();
console.error(
  `[soak] ${events} records at ${rate}/s (~${Math.round(events / rate)} s of producing) with faults; ${values.clients} clients`,
);
const result = await runSoak({
  events,
  rate,
  clients: num('clients', values.clients),
  hostileShare: num('hostile', values.hostile),
  oddShare: num('odd', values.odd),
  settleTimeoutMs: 180_000,
  log: (line) => console.error(`[soak] ${line}`),
});
const report = { command, finishedAt: new Date().toISOString(), ...result };
mkdirSync(path.dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
const r = result;
console.log(`
soak: ${r.ok ? 'PASS' : 'FAIL'}  (${r.timings.totalSeconds} s; produce ${r.timings.produceSeconds} s, settle ${r.timings.settleSeconds} s; load ${r.loadAverage.start[0]} → ${r.loadAverage.end[0]})
produced     ${r.produced.total} records: ${r.produced.valid} valid, ${r.produced.odd} odd but valid, ${r.produced.hostile} hostile
faults       ${r.faults.map((f) => `${f.kind}@${Math.round(f.atMs / 1000)}s`).join(', ')}; ${r.clients.drops} client drops
D1           ${r.d1.stored} of ${r.d1.expected} stored; lost ${r.d1.lost}, unexpected ${r.d1.unexpected}, wrong content ${r.d1.wrongContent}
dead letters ${r.dlq.found} of ${r.dlq.hostile} hostile found (${r.dlq.letters} letters, ${r.dlq.repeatedLetters} repeated); valid dead-lettered ${r.dlq.validDeadLettered}; without reason ${r.dlq.withoutReason}
clients      ${r.clients.delivered} of ${r.clients.expectedDeliveries} deliveries; missing ${r.clients.missing}, duplicated ${r.clients.duplicated}, out of order ${r.clients.outOfOrder}, errors ${r.clients.errors}; ${r.clients.connects} connects
bridges      retried ${r.bridges.retried}, isolated ${r.bridges.isolated}, dead-lettered ${r.bridges.deadLettered} (surviving processes' counters)
written to   ${path.relative(ROOT, values.out!)}`);
process.exit(r.ok ? 0 : 1);
