/**
 * `npm run bench -- capacity [--events 10000000] [--days 70] [--hot-days 7] [--sample-every 7] [--open-actions 0.001]`:
 * tiered storage at size (docs/archive.md). Hosts the Worker in workerd (Miniflare, local D1 and
 * R2 in a fresh folder), then simulates the days one by one: each day's events are written into
 * the D1 file with the seed's fast path (node:sqlite, triggers on, so the full-text index and the
 * counters are real), and the Worker's own archive run (POST /internal/archive with that day's
 * clock) moves what left the hot window, until it says nothing is left. Every `--sample-every`
 * days it records D1's size (file and used pages), rows hot and archived, R2 objects and bytes.
 * At the end it times reads over ranges that are only hot, only archived and both: the list's
 * first page and every page, the CSV export, and a room's changefeed from an archived seq.
 * Writes bench/results/capacity.json and prints a table.
 */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

const log = (line: string) => console.error(`[bench capacity] ${line}`);
const DAY_MS = 86_400_000;
const SECRETS = {
  JWT_SECRET: 'bench-capacity-secret-0123456789abcdef',
  INGEST_TOKEN: 'bench-capacity-ingest-0123456789',
};

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/**
 * fetch, tried again when the connection was closed under it: a kept-alive socket left idle while
 * a day loads (seconds) may be closed by the server just as it is reused (undici UND_ERR_SOCKET).
 * Every request here may be repeated: reads, and archive runs (crash-safe by design).
 */
async function request(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (attempt >= 3 || (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET')) throw err;
    }
  }
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await f();
  return [v, Math.round((performance.now() - t) * 10) / 10];
};

export async function runCapacity(argv: string[]): Promise<void> {
  const { values } = parseNodeArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '10000000' },
      days: { type: 'string', default: '70' },
      'hot-days': { type: 'string', default: '7' },
      'sample-every': { type: 'string', default: '7' },
      'open-actions': { type: 'string', default: '0.001' },
      out: { type: 'string', default: path.join(ROOT, 'bench/results/capacity.json') },
    },
  });
  const events = Number(values.events);
  const days = Number(values.days);
  const hotDays = Number(values['hot-days']);
  const sampleEvery = Number(values['sample-every']);
  /** The share of actions (requiresAction) still open when written: they stay hot (docs/archive.md). */
  const openActionShare = Number(values['open-actions']);
  if (!Number.isSafeInteger(events) || events <= 0 || !Number.isSafeInteger(days) || days <= hotDays)
    throw new Error('--events must be a positive integer and --days an integer above --hot-days');
  installSignalHandlers();
  const command = `npm run bench -- capacity --events ${events} --days ${days} --hot-days ${hotDays} --open-actions ${openActionShare}`;
  const loadAtStart = os.loadavg();
  log('building the Worker');
  buildWorker();
  const persist = mkdtempSync(path.join(tmpdir(), 'quaycast-capacity-'));
  registerTempDir(persist);
  const worker = await hostWorker({
    persistDir: persist,
    vars: { ...SECRETS, ENVIRONMENT: 'development', LOG_LEVEL: 'warn', HOT_DAYS: String(hotDays) },
  });
  const file = d1File(persist);
  const sqlite = new DatabaseSync(file);
  sqlite.exec('PRAGMA busy_timeout = 10000');
  const insert = sqlite.prepare(SEED_INSERT_SQL);
  const viewer = await signJwt(
    {
      sub: 'bench-viewer',
      role: 'viewer',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 86_400,
    },
    SECRETS.JWT_SECRET,
  );
  const get = async (p: string) => {
    const res = await request(`${worker.url}${p}`, { headers: { authorization: `Bearer ${viewer}` } });
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res;
  };

  // The simulated clock: day 0 starts `days` days before the real now, so the last day is today.
  const t0 = Math.floor(Date.now() / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const perDay = Math.ceil(events / days);
  const nextSeq = new Map<string, number>();
  const runId = Date.now().toString(36);
  const samples: Record<string, number>[] = [];
  const moves = { runs: 0, moved: 0, objects: 0, seconds: 0 };
  let loadSeconds = 0;
  let written = 0;
  const started = Date.now();

  const sample = (day: number) => {
    const one = <T>(sql: string) => sqlite.prepare(sql).get() as T;
    const pages = one<{ page_count: number }>('PRAGMA page_count').page_count;
    const free = one<{ freelist_count: number }>('PRAGMA freelist_count').freelist_count;
    const pageSize = one<{ page_size: number }>('PRAGMA page_size').page_size;
    const hot = one<{ n: number }>('SELECT COUNT(*) AS n FROM events').n;
    const archive = one<{ objects: number; rows: number; bytes: number }>(
      "SELECT COUNT(*) AS objects, COALESCE(SUM(rows),0) AS rows, COALESCE(SUM(bytes),0) AS bytes FROM archive_objects WHERE state = 'committed'",
    );
    const ids = one<{ n: number }>('SELECT COUNT(*) AS n FROM archive_ids').n;
    const s = {
      day,
      eventsWritten: written,
      d1FileBytes: statSync(file).size,
      d1UsedBytes: (pages - free) * pageSize,
      hotRows: hot,
      archivedRows: archive.rows,
      archiveIdRows: ids,
      r2Objects: archive.objects,
      r2Bytes: archive.bytes,
      r2DirBytes: dirBytes(persist) - statSync(file).size,
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
    };
    samples.push(s);
    log(
      `day ${day}: ${written} written, D1 ${(s.d1UsedBytes / 2 ** 20).toFixed(0)} MiB used (${(s.d1FileBytes / 2 ** 20).toFixed(0)} MiB file), ` +
        `${hot} hot, ${archive.rows} archived in ${archive.objects} objects (${(archive.bytes / 2 ** 20).toFixed(0)} MiB), ${s.elapsedSeconds} s`,
    );
  };

  try {
    for (let day = 0; day < days; day++) {
      const dayStart = t0 + day * DAY_MS;
      const n = Math.min(perDay, events - written);
      const loadStart = performance.now();
      const BATCH = 20_000;
      for (let done = 0; done < n; done += BATCH) {
        sqlite.exec('BEGIN');
        const m = Math.min(BATCH, n - done);
        for (let k = 0; k < m; k++) {
          const i = written + done + k;
          insert.run(
            ...seedRow(i, dayStart + Math.floor(((done + k) / n) * DAY_MS), runId, nextSeq, { openActionShare }),
          );
        }
        sqlite.exec('COMMIT');
      }
      written += n;
      loadSeconds += (performance.now() - loadStart) / 1000;
      // The day is over: the Worker's archive run with that clock, until nothing movable is left.
      const moveStart = performance.now();
      for (;;) {
        const res = await request(`${worker.url}/internal/archive`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SECRETS.INGEST_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ now: dayStart + DAY_MS }),
        });
        if (res.status !== 200) throw new Error(`archive run: ${res.status} ${await res.text()}`);
        const r = (await res.json()) as { moved: number; objects: number; more: boolean };
        moves.runs++;
        moves.moved += r.moved;
        moves.objects += r.objects;
        if (!r.more) break;
      }
      moves.seconds += (performance.now() - moveStart) / 1000;
      if (day % sampleEvery === sampleEvery - 1 || day === days - 1) sample(day);
    }

    // Reads over ranges: only hot (the last 3 days), only archived (days 20-30 ago), both (days 4-10 ago).
    const now = t0 + days * DAY_MS;
    const ranges = {
      hot: [now - 3 * DAY_MS, now],
      archived: [now - 30 * DAY_MS, now - 20 * DAY_MS],
      both: [now - 10 * DAY_MS, now - 4 * DAY_MS],
    } as const;
    const reads: Record<string, Record<string, number>> = {};
    for (const [name, [from, to]] of Object.entries(ranges)) {
      const q = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
      const [, firstPageMs] = await timed(async () => (await get(`/api/events?${q}&limit=100`)).json());
      const [, criticalFirstMs] = await timed(async () =>
        (await get(`/api/events?${q}&severity=Critical&category=Ship&limit=100`)).json(),
      );
      // Ten pages of 500 (5,000 events), following the cursor.
      let cursor: string | null = null;
      let rows = 0;
      const [, tenPagesMs] = await timed(async () => {
        for (let p = 0; p < 10; p++) {
          const page = (await (await get(`/api/events?${q}&limit=500${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
            data: unknown[];
            nextCursor: string | null;
          };
          rows += page.data.length;
          cursor = page.nextCursor;
          if (!cursor) break;
        }
      });
      const [exportRows, exportMs] = await timed(async () => {
        const text = await (await get(`/api/events/export.csv?${q}&category=Ship`)).text();
        return text.split('\r\n').length - 2;
      });
      reads[name] = { firstPageMs, criticalFirstMs, tenPagesMs, tenPagesRows: rows, exportMs, exportRows };
      log(
        `${name}: first page ${firstPageMs} ms, 10×500 ${tenPagesMs} ms, export ${exportRows} rows in ${exportMs} ms`,
      );
    }
    // A room's changefeed from a seq the archive holds (30 days back) and from one still hot.
    const seqAt = (ago: number) =>
      (
        sqlite
          .prepare('SELECT MIN(seq) AS s FROM events WHERE category = ? AND received_at >= ?')
          .get('Container', now - ago * DAY_MS) as { s: number | null }
      ).s ?? 0;
    const hotSeq = seqAt(2);
    const archivedSeq = Math.max(0, Math.floor(hotSeq * (1 - 30 / days)));
    for (const [name, after] of Object.entries({ changefeedHot: hotSeq, changefeedArchived: archivedSeq })) {
      const [, firstMs] = await timed(async () =>
        (await get(`/api/events?category=Container&after=${after}&limit=500`)).json(),
      );
      reads[name] = { after, firstPageMs: firstMs };
      log(`${name} (after ${after}): first page of 500 in ${firstMs} ms`);
    }

    const result = {
      command,
      finishedAt: new Date().toISOString(),
      machine: { cores: os.cpus().length, loadAverageAtStart: loadAtStart, loadAverageAtEnd: os.loadavg() },
      events,
      days,
      hotDays,
      loadSeconds: Math.round(loadSeconds),
      moves: { ...moves, seconds: Math.round(moves.seconds), eventsPerSecond: Math.round(moves.moved / moves.seconds) },
      samples,
      reads,
    };
    writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, values.out!)}`);
    console.log(JSON.stringify({ moves: result.moves, last: samples.at(-1), reads }, null, 2));
  } finally {
    sqlite.close();
    await worker.dispose();
    await shutdownAll();
  }
}
