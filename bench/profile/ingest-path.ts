/**
 * Profiles the Worker's ingest path without Kafka: hosts the Worker (as the bench does) and
 * times `POST /internal/ingest` for batches of 1, 10, 100 and 500 records, sequentially — the
 * per-batch floor the bridge pays before a room pushes anything. Then times D1 alone (a batch
 * insert into `events`, with its FTS and counter triggers, straight from Node) to split the floor
 * between D1's commit and the rest (HTTP, validation, the room's RPC and storage writes).
 *
 *   bash scripts/node22.sh node bench/profile/ingest-path.ts [iterations]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { benchEvent } from '../lib/plan.ts';
import { median } from '../lib/stats.ts';
import { buildWorker, hostWorker } from '../stack/worker.ts';
import type { Category } from '../../protocol/enums.ts';

const iterations = Number(process.argv[2] ?? 20);
const rooms: Category[] = ['Container', 'Ship', 'Berth', 'Port', 'System'];
buildWorker();
const dir = mkdtempSync(path.join(tmpdir(), 'quaycast-profile-'));
const worker = await hostWorker({
  persistDir: dir,
  vars: { JWT_SECRET: 'p', INGEST_TOKEN: 'p', LOG_LEVEL: 'warn', CORS_ORIGINS: '' },
});
let n = 0;
let offset = 0;
try {
  for (const size of [1, 10, 100, 500]) {
    for (const roomsPerBatch of [1, 5]) {
      const times: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const records = Array.from({ length: size }, () => {
          const e = benchEvent('prof', n++, rooms.slice(0, roomsPerBatch), Date.now(), false);
          return { topic: 'port-events', partition: 0, offset: String(offset++), key: null, value: JSON.stringify(e) };
        });
        const t0 = performance.now();
        const res = await fetch(`${worker.url}/internal/ingest`, {
          method: 'POST',
          headers: { authorization: 'Bearer p', 'content-type': 'application/json' },
          body: JSON.stringify({ records }),
        });
        await res.text();
        times.push(performance.now() - t0);
      }
      const ms = median(times);
      console.log(
        `batch ${String(size).padStart(3)} × ${roomsPerBatch} room(s): median ${ms.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms → ${Math.round((size / ms) * 1000)} events/s sequential`,
      );
    }
  }
  const db = await worker.mf.getD1Database('DB');
  const insert = db.prepare(
    `INSERT INTO events (id, category, seq, severity, priority, status, event_type, title, description, event_time, received_at, updated_at, requires_action, is_resolved, doc)
     VALUES (?1, 'System', ?2, 'Low', 'Low', 'New', 'bench', 'Bench row', 'profile', 0, 0, 0, 0, 0, '{}')`,
  );
  for (const size of [1, 10, 100]) {
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const t0 = performance.now();
      await db.batch(Array.from({ length: size }, () => insert.bind(`d1-${n++}`, 1_000_000 + n)));
      times.push(performance.now() - t0);
    }
    console.log(
      `D1 batch of ${String(size).padStart(3)} single-row inserts: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
    );
  }
  const noop = db.prepare('SELECT 1');
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await noop.first();
    times.push(performance.now() - t0);
  }
  console.log(`D1 round trip (SELECT 1) from Node: median ${median(times).toFixed(1)} ms`);
} finally {
  await worker.dispose();
  rmSync(dir, { recursive: true, force: true });
}
