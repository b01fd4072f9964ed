/**
 * `npm run bench -- insight [--events 1000000] [--days 30] [--calls 30]`: latency of each
 * /api/insight query at size (docs/insight.md, docs/api.md). Hosts the Worker in workerd
 * (Miniflare, local D1), seeds the D1 file with the seed's fast path (node:sqlite, triggers on, so
 * the insight rollups are kept exactly as the write path keeps them) spread over `days` ending
 * now, with a workflow history (acknowledged and resolved entries) for the rows the seed marks so,
 * then calls every route `calls` times over HTTP and reports p50/p95.
 * Writes bench/results/insight.json and prints it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs as parseNodeArgs } from 'node:util';
import { signJwt } from '../protocol/jwt.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { SEED_INSERT_SQL, seedRow } from '../scripts/lib/seed-events.ts';
import { installSignalHandlers, registerTempDir, shutdownAll } from './lib/children.ts';
import { buildWorker, hostWorker } from './stack/worker.ts';
import { d1File } from '../scripts/lib/d1-file.ts';

const DAY_MS = 86_400_000;
const SECRETS = {
  JWT_SECRET: 'bench-insight-secret-0123456789abcdef',
  INGEST_TOKEN: 'bench-insight-ingest-0123456789',
};
const log = (line: string) => console.error(`[bench insight] ${line}`);

const percentile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.max(0, Math.ceil(q * s.length) - 1)]! * 10) / 10;
};

export async function runInsight(argv: string[]): Promise<void> {
  const { values } = parseNodeArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '1000000' },
      days: { type: 'string', default: '30' },
      calls: { type: 'string', default: '30' },
      out: { type: 'string', default: path.join(ROOT, 'bench/results/insight.json') },
    },
  });
  const events = Number(values.events);
  const days = Number(values.days);
  const calls = Number(values.calls);
  installSignalHandlers();
  const loadAtStart = os.loadavg();
  log('building the Worker');
  buildWorker();
  const persist = registerTempDir(mkdtempSync(path.join(tmpdir(), 'quaycast-insight-')));
  const worker = await hostWorker({
    persistDir: persist,
    vars: { ...SECRETS, ENVIRONMENT: 'development', LOG_LEVEL: 'warn' },
  });
  try {
    // The first request applies the migrations (the host does on start); the file exists after it.
    const sqlite = new DatabaseSync(d1File(persist));
    sqlite.exec('PRAGMA busy_timeout = 10000');
    const insert = sqlite.prepare(SEED_INSERT_SQL);
    const history = sqlite.prepare(
      `INSERT INTO event_history (event_id, seq, at, actor, action, from_status, to_status) VALUES (?, ?, ?, 'bench', ?, ?, ?)`,
    );
    const now = Date.now();
    const t0 = now - days * DAY_MS;
    const nextSeq = new Map<string, number>();
    const runId = Date.now().toString(36);
    const seedStart = performance.now();
    const BATCH = 20_000;
    let hseq = 0;
    for (let done = 0; done < events; done += BATCH) {
      sqlite.exec('BEGIN');
      for (let i = done; i < Math.min(events, done + BATCH); i++) {
        const row = seedRow(i, t0 + Math.floor((i / events) * days * DAY_MS), runId, nextSeq);
        insert.run(...row);
        const [id, , , , , status] = row as [string, string, number, string, string, string];
        const receivedAt = row[10] as number;
        if (status === 'New') continue;
        // Log-normal-ish reaction times: seconds to hours.
        const ackAt = receivedAt + Math.floor(2000 * Math.exp(Math.random() * 8));
        history.run(id, ++hseq, Math.min(ackAt, now), 'acknowledge', 'New', 'Acknowledged');
        if (status === 'Resolved' || status === 'Closed')
          history.run(
            id,
            ++hseq,
            Math.min(ackAt + Math.floor(60_000 * Math.exp(Math.random() * 5)), now),
            'resolve',
            'Acknowledged',
            'Resolved',
          );
      }
      sqlite.exec('COMMIT');
      if ((done / BATCH) % 10 === 0)
        log(`${done + BATCH} events seeded, ${Math.round((performance.now() - seedStart) / 1000)} s`);
    }
    const seedSeconds = Math.round((performance.now() - seedStart) / 1000);
    const count = (sql: string) => (sqlite.prepare(sql).get() as { n: number }).n;
    const counts = {
      ...Object.fromEntries(
        [
          'events',
          'event_history',
          'insight_volume',
          'insight_entities',
          'insight_response',
          'insight_response_day',
          'insight_response_hour',
          'insight_open',
          'insight_open_day',
        ].map((t) => [t, count(`SELECT COUNT(*) AS n FROM ${t}`)]),
      ),
      // What a daily entities rollup would hold for containers (ids nearly unique): why there is none.
      insight_entities_container: count("SELECT COUNT(*) AS n FROM insight_entities WHERE kind = 'container'"),
      insight_entities_container_by_day: count(
        "SELECT COUNT(*) AS n FROM (SELECT DISTINCT hour / 24, category, entity_id FROM insight_entities WHERE kind = 'container')",
      ),
    };
    sqlite.close();
    log(`seeded in ${seedSeconds} s: ${JSON.stringify(counts)}`);
    const viewer = await signJwt(
      { sub: 'bench-viewer', role: 'viewer', iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 86_400 },
      SECRETS.JWT_SECRET,
    );
    const scoped = await signJwt(
      {
        sub: 'bench-scoped',
        role: 'viewer',
        categories: ['Container', 'Ship'],
        iat: Math.floor(now / 1000),
        exp: Math.floor(now / 1000) + 86_400,
      },
      SECRETS.JWT_SECRET,
    );
    const week = `from=${now - 7 * DAY_MS}&to=${now}`;
    const month = `from=${now - 30 * DAY_MS}&to=${now}`;
    // A name ending in "(scoped)" is called with a token that sees Container and Ship only.
    const queries: Record<string, string> = {
      'response-times by category (7 d)': `/api/insight/response-times?${week}&by=category`,
      'response-times by eventType (7 d)': `/api/insight/response-times?${week}&by=eventType`,
      'response-times by assignee (7 d)': `/api/insight/response-times?${week}&by=assignee`,
      'response-times by shift (7 d)': `/api/insight/response-times?${week}&by=shift`,
      'response-times by severity (30 d)': `/api/insight/response-times?${month}&by=severity`,
      'response-times by eventType (30 d)': `/api/insight/response-times?${month}&by=eventType`,
      'response-times by assignee (30 d)': `/api/insight/response-times?${month}&by=assignee`,
      'response-times by shift (30 d)': `/api/insight/response-times?${month}&by=shift`,
      'response-times by assignee (30 d, scoped)': `/api/insight/response-times?${month}&by=assignee`,
      'response-times by shift (30 d, scoped)': `/api/insight/response-times?${month}&by=shift`,
      'response-times by eventType (7 d, severity=High: no daily rollup)': `/api/insight/response-times?${week}&by=eventType&severity=High`,
      'sla by severity (7 d, with openBreached)': `/api/insight/sla?${week}&by=severity`,
      'sla by category (30 d, with openBreached)': `/api/insight/sla?${month}&by=category`,
      'sla by category (30 d, severity=Critical)': `/api/insight/sla?${month}&by=category&severity=Critical`,
      'heatmap (7 d)': `/api/insight/heatmap?${week}`,
      'heatmap (30 d)': `/api/insight/heatmap?${month}`,
      'trends (8 weeks)': '/api/insight/trends?weeks=8',
      'top-entities berth (7 d)': `/api/insight/top-entities?kind=berth&${week}`,
      'top-entities container (7 d)': `/api/insight/top-entities?kind=container&${week}`,
      'top-entities container (30 d)': `/api/insight/top-entities?kind=container&${month}`,
    };
    const latencies: Record<string, { p50Ms: number; p95Ms: number }> = {};
    for (const [name, p] of Object.entries(queries)) {
      const ms: number[] = [];
      for (let k = 0; k < calls + 3; k++) {
        const t = performance.now();
        const bearer = name.endsWith('scoped)') ? scoped : viewer;
        const res = await fetch(`${worker.url}${p}`, { headers: { authorization: `Bearer ${bearer}` } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${p}: ${res.status} ${body}`);
        if (k >= 3) ms.push(performance.now() - t);
      }
      latencies[name] = { p50Ms: percentile(ms, 0.5), p95Ms: percentile(ms, 0.95) };
      log(`${name}: p50 ${latencies[name].p50Ms} ms, p95 ${latencies[name].p95Ms} ms`);
    }
    const result = {
      command: `npm run bench -- insight --events ${events} --days ${days} --calls ${calls}`,
      finishedAt: new Date().toISOString(),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg(),
      seedSeconds,
      rows: counts,
      latencies,
    };
    mkdirSync(path.dirname(values.out!), { recursive: true });
    writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await worker.dispose();
    await shutdownAll();
  }
}
