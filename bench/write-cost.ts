/**
 * `npm run bench -- write-cost [--events 2000]`: D1's rows written per stored event, by what
 * writes them (docs/archive.md, "Write cost"). D1 bills rows written, and counts every row of a
 * table and of each index a statement touches, triggers included. Hosts the Worker in workerd
 * (Miniflare), stores events through POST /internal/ingest (the Kafka path) and POST /api/events
 * (the API path: an outbox row too), changes some through the workflow and moves them to the
 * archive, reading D1's own counter (`meta.rows_written`) of the same statements run on the same
 * database: the insert with all its triggers, then again with each trigger family dropped, to
 * attribute the total to the row and its indexes, the full-text index and the counters.
 * Writes bench/results/write-cost.json and prints it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs as parseNodeArgs } from 'node:util';
import { ROOT } from '../scripts/lib/paths.ts';
import { SEED_INSERT_SQL, seedRow } from '../scripts/lib/seed-events.ts';
import { installSignalHandlers, registerTempDir, shutdownAll } from './lib/children.ts';
import { buildWorker, hostWorker } from './stack/worker.ts';

type D1 = {
  prepare(sql: string): {
    bind(...v: unknown[]): { run(): Promise<{ meta: { rows_written: number } }> };
    run(): Promise<{ meta: { rows_written: number } }>;
    all<T>(): Promise<{ results: T[] }>;
  };
  exec(sql: string): Promise<unknown>;
};

export async function runWriteCost(argv: string[]): Promise<void> {
  const { values } = parseNodeArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '2000' },
      out: { type: 'string', default: path.join(ROOT, 'bench/results/write-cost.json') },
    },
  });
  const events = Number(values.events);
  installSignalHandlers();
  console.error('[bench write-cost] building the Worker');
  buildWorker();
  const persist = registerTempDir(mkdtempSync(path.join(tmpdir(), 'quaycast-write-cost-')));
  const worker = await hostWorker({ persistDir: persist, vars: { LOG_LEVEL: 'warn' } });
  try {
    const db = (await worker.mf.getD1Database('DB')) as unknown as D1;
    const triggers = (
      await db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'").all<{
        name: string;
        sql: string;
      }>()
    ).results;
    const nextSeq = new Map<string, number>();
    const runId = Date.now().toString(36);
    let i = 0;
    /** Mean rows written per insert of a seed event, with the triggers present that `keep` selects. */
    const perInsert = async (keep: (name: string) => boolean) => {
      const dropped = triggers.filter((t) => !keep(t.name));
      for (const t of dropped) await db.exec(`DROP TRIGGER ${t.name}`);
      let rows = 0;
      const statement = db.prepare(SEED_INSERT_SQL);
      for (let k = 0; k < events; k++)
        rows += (await statement.bind(...seedRow(i++, Date.now(), runId, nextSeq)).run()).meta.rows_written;
      for (const t of dropped) await db.prepare(t.sql).run();
      return rows / events;
    };
    const all = await perInsert(() => true);
    const noFts = await perInsert((n) => !n.startsWith('events_fts'));
    const noCounts = await perInsert((n) => !n.startsWith('event_counts'));
    const noInsight = await perInsert((n) => !n.startsWith('insight_'));
    const bare = await perInsert(() => false);
    const mean = async (sql: (k: number) => string, n = 200) => {
      let rows = 0;
      for (let k = 0; k < n; k++) rows += (await db.prepare(sql(k)).run()).meta.rows_written;
      return rows / n;
    };
    const ids = (await db.prepare('SELECT id FROM events ORDER BY rowid LIMIT 600').all<{ id: string }>()).results.map(
      (r) => r.id,
    );
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const workflowChange = await mean(
      (k) =>
        `UPDATE events SET seq = seq + 1000000, status = 'Acknowledged', updated_at = updated_at + 1, doc = doc WHERE id = ${quote(ids[k]!)}`,
    );
    const history = await mean(
      (k) =>
        `INSERT INTO event_history (event_id, seq, at, actor, action) VALUES (${quote(ids[k]!)}, 1, 0, 'bench', 'acknowledge')`,
    );
    // Entries that acknowledge and first resolve: the history row plus the response rollups
    // (migrations/0010_insight.sql's insight_response, 0013's daily and hourly projections of it).
    const entry = (k: number, seq: number, after: number, from: string, to: string) =>
      `INSERT INTO event_history (event_id, seq, at, actor, action, from_status, to_status)
       SELECT id, ${seq}, received_at + ${after}, 'bench', 'x', '${from}', '${to}' FROM events WHERE id = ${quote(ids[k]!)}`;
    const acknowledging = await mean((k) => entry(k, 2, (k + 1) * 37_000, 'New', 'Acknowledged'));
    const resolving = await mean((k) => entry(k, 3, (k + 1) * 611_000, 'Acknowledged', 'Resolved'));
    // The same without 0013's triggers on insight_response: what its projections add.
    const projections = (
      await db
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'insight_response'")
        .all<{ name: string; sql: string }>()
    ).results;
    for (const t of projections) await db.exec(`DROP TRIGGER ${t.name}`);
    const acknowledgingBare = await mean((k) => entry(k, 4, (k + 1) * 37_000, 'New', 'Acknowledged'));
    for (const t of projections) await db.prepare(t.sql).run();
    const outbox = await mean(
      (k) => `INSERT INTO outbox (event_id, topic, created_at) VALUES (${quote(ids[k]!)}, 'port-events', 0)`,
    );
    const outboxPublished = await mean((k) => `UPDATE outbox SET published_at = 1 WHERE event_id = ${quote(ids[k]!)}`);
    const archiveId = await mean((k) => `INSERT INTO archive_ids (h1, h2, object_id) VALUES (${k}, ${k * 7}, 1)`);
    const move = await mean((k) => `DELETE FROM events WHERE id = ${quote(ids[200 + k]!)}`);
    const result = {
      command: `npm run bench -- write-cost --events ${events}`,
      finishedAt: new Date().toISOString(),
      loadAverage: os.loadavg(),
      rowsWrittenPerEvent: {
        insertWithEverything: all,
        ofWhich: {
          rowAndIndexes: bare,
          fullTextIndex: all - noFts,
          counters: all - noCounts,
          insightRollups: all - noInsight,
        },
        workflowChange,
        historyEntry: history,
        acknowledgingEntry: acknowledging,
        firstResolvingEntry: resolving,
        acknowledgingEntryWithoutDailyRollups: acknowledgingBare,
        outboxRow: outbox,
        outboxPublished,
        archiveMove: { deleteFromD1: move, idIndexRow: archiveId },
      },
    };
    writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await worker.dispose();
    await shutdownAll();
  }
}
