/**
 * The peer: what a good team would write instead of Quaycast, in one Node process.
 *
 *   Kafka (kafkajs, eachBatch) ─▶ validate (the same protocol/schemas/normalize.ts normaliser)
 *     ─▶ SQLite (node:sqlite, WAL; one transaction per batch; INSERT OR IGNORE by id; per-room seq)
 *     ─▶ `ws` server: category rooms, severity filters, resume with `after` (replay from SQLite, then live)
 *
 * It speaks the same client protocol as Quaycast (same URL, JWT, hello / events / presence
 * frames), so the bench drives both with one client. Offsets are committed after the batch's
 * transaction (at least once; the id primary key makes redelivery harmless). Replay and the
 * switch to live happen in one synchronous step (SQLite calls are synchronous), so no gap.
 *
 * Environment: PEER_BROKERS, PEER_TOPICS, PEER_GROUP_ID, PEER_DB (file), PEER_JWT_SECRET,
 * PEER_DEFLATE ('1' to accept permessage-deflate). Reports `{ type: 'listening', port }` and
 * `{ type: 'joined' }` over IPC when forked.
 */
import { createServer } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { WebSocketServer, type WebSocket } from 'ws';
import { createKafka } from '../../bridge/src/kafka.ts';
import { SEVERITIES, parseCategory, type Category, type Severity } from '../../protocol/enums.ts';
import type { NewEvent } from '../../protocol/event.ts';
import { normalizeEvent } from '../../protocol/schemas/normalize.ts';
import { verifyJwt } from '../../protocol/jwt.ts';
import { parseSeverityList } from '../../protocol/room.ts';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};
const config = {
  brokers: env('PEER_BROKERS', '127.0.0.1:9092').split(','),
  topics: env('PEER_TOPICS').split(','),
  groupId: env('PEER_GROUP_ID'),
  dbFile: env('PEER_DB'),
  jwtSecret: env('PEER_JWT_SECRET'),
  deflate: process.env.PEER_DEFLATE === '1',
};
const REPLAY_PAGE = 500;
const PRESENCE_COALESCE_MS = 250;

// ---------------------------------------------------------------------------------------------
// Storage

const db = new DatabaseSync(config.dbFile);
db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY NOT NULL, category TEXT NOT NULL, seq INTEGER NOT NULL, severity TEXT NOT NULL, doc TEXT NOT NULL) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS events_room_seq ON events (category, seq);`);
const insert = db.prepare('INSERT OR IGNORE INTO events (id, category, seq, severity, doc) VALUES (?, ?, ?, ?, ?)');
const replayAll = db.prepare(
  'SELECT doc, seq, severity FROM events WHERE category = ? AND seq > ? ORDER BY seq LIMIT ?',
);
const lastSeq = new Map<Category, number>();
for (const row of db.prepare('SELECT category, max(seq) AS seq FROM events GROUP BY category').all() as {
  category: Category;
  seq: number;
}[])
  lastSeq.set(row.category, row.seq);

type Stored = { category: Category; severity: Severity; seq: number; doc: string };

/** Stores the new events of a batch in one transaction; returns those that were new, with their seqs. */
function store(events: NewEvent[]): Stored[] {
  const out: Stored[] = [];
  const next = new Map(lastSeq);
  db.exec('BEGIN');
  try {
    for (const e of events) {
      const seq = (next.get(e.category) ?? 0) + 1;
      const doc = JSON.stringify({ ...e, seq });
      if (insert.run(e.id, e.category, seq, e.severity, doc).changes === 1) {
        next.set(e.category, seq);
        out.push({ category: e.category, severity: e.severity, seq, doc });
      }
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  for (const [k, v] of next) lastSeq.set(k, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rooms

type Session = { room: Category; severities: Severity[] | null };
const rooms = new Map<Category, Map<WebSocket, Session>>();
const presenceTimers = new Map<Category, ReturnType<typeof setTimeout>>();

const passes = (s: Session, severity: Severity) => s.severities === null || s.severities.includes(severity);
const framed = (docs: string[]) => `{"type":"events","events":[${docs.join(',')}]}`;

/** Pushes one room's new events; one frame per distinct filter. Synchronous, so seq order = push order. */
function broadcast(room: Category, stored: Stored[]): void {
  const sockets = rooms.get(room);
  if (!sockets || stored.length === 0) return;
  const frames = new Map<string, string | null>();
  for (const [ws, s] of sockets) {
    const key = s.severities ? s.severities.join(',') : '*';
    let frame = frames.get(key);
    if (frame === undefined) {
      const docs = stored.filter((e) => passes(s, e.severity)).map((e) => e.doc);
      frame = docs.length > 0 ? framed(docs) : null;
      frames.set(key, frame);
    }
    if (frame && ws.readyState === ws.OPEN) ws.send(frame);
  }
}

function schedulePresence(room: Category): void {
  if (presenceTimers.has(room)) return;
  presenceTimers.set(
    room,
    setTimeout(() => {
      presenceTimers.delete(room);
      const sockets = rooms.get(room);
      if (!sockets) return;
      const frame = JSON.stringify({ type: 'presence', connections: sockets.size });
      for (const ws of sockets.keys()) if (ws.readyState === ws.OPEN) ws.send(frame);
    }, PRESENCE_COALESCE_MS),
  );
}

/** Replays `(after, lastSeq]` from SQLite and joins the live set, all in one synchronous step. */
function join(ws: WebSocket, session: Session, after: number | undefined): void {
  const room = session.room;
  let sockets = rooms.get(room);
  if (!sockets) {
    sockets = new Map();
    rooms.set(room, sockets);
  }
  ws.send(JSON.stringify({ type: 'hello', room, connections: sockets.size + 1, lastSeq: lastSeq.get(room) ?? 0 }));
  if (after !== undefined) {
    let cursor = after;
    for (;;) {
      const page = replayAll.all(room, cursor, REPLAY_PAGE) as { doc: string; seq: number; severity: Severity }[];
      if (page.length === 0) break;
      const docs = session.severities
        ? page.filter((r) => session.severities!.includes(r.severity)).map((r) => r.doc)
        : page.map((r) => r.doc);
      if (docs.length > 0) ws.send(framed(docs));
      cursor = page[page.length - 1]!.seq;
      if (page.length < REPLAY_PAGE) break;
    }
  }
  sockets.set(ws, session);
  schedulePresence(room);
}

// ---------------------------------------------------------------------------------------------
// HTTP + WebSocket server

const server = createServer((req, res) => {
  if (req.url === '/healthz') res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  else res.writeHead(404).end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: config.deflate, maxPayload: 4096 });

server.on('upgrade', (req, socket, head) => {
  const refuse = (status: number) => {
    socket.end(`HTTP/1.1 ${status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  };
  const url = new URL(req.url ?? '/', 'http://peer');
  const m = /^\/api\/rooms\/([^/]+)\/ws$/.exec(url.pathname);
  const room = m ? parseCategory(decodeURIComponent(m[1]!)) : undefined;
  if (!room) return refuse(404);
  const severities = parseSeverityList(url.searchParams.get('severity'));
  const afterText = url.searchParams.get('after');
  const after = afterText === null || afterText === '' ? undefined : Number(afterText);
  if (severities === null || (after !== undefined && (!Number.isSafeInteger(after) || after < 0))) return refuse(400);
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return refuse(401);
  void verifyJwt(token, config.jwtSecret).then((result) => {
    if (!result.ok) return refuse(401);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: Session = {
        room,
        severities: severities && severities.length < SEVERITIES.length ? severities : null,
      };
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'ping') ws.send('pong');
      });
      ws.on('close', () => {
        rooms.get(room)?.delete(ws);
        schedulePresence(room);
      });
      ws.on('error', () => ws.terminate());
      join(ws, session, after);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Kafka

const kafka = createKafka({ brokers: config.brokers, clientId: 'quaycast-bench-peer', ssl: false, sasl: undefined });
const consumer = kafka.consumer({
  groupId: config.groupId,
  sessionTimeout: 10_000,
  heartbeatInterval: 3000,
  maxWaitTimeInMs: 10,
  maxBytesPerPartition: 2 * 1024 * 1024,
});
consumer.on(consumer.events.GROUP_JOIN, () => process.send?.({ type: 'joined' }));

await consumer.connect();
await consumer.subscribe({ topics: config.topics, fromBeginning: true });
await consumer.run({
  autoCommit: true,
  autoCommitThreshold: 1,
  eachBatchAutoResolve: false,
  partitionsConsumedConcurrently: 3,
  async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }) {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const receivedAt = Date.now();
    const events: NewEvent[] = [];
    for (const msg of batch.messages) {
      if (!msg.value) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(msg.value.toString('utf8'));
      } catch {
        continue; // a real peer would dead-letter it; the bench never sends one
      }
      const r = normalizeEvent(raw, {
        kind: 'kafka',
        topic: batch.topic,
        partition: batch.partition,
        offset: msg.offset,
        receivedAt,
      });
      if (r.ok) events.push(r.event);
    }
    const stored = store(events);
    const byRoom = new Map<Category, Stored[]>();
    for (const s of stored) {
      const list = byRoom.get(s.category);
      if (list) list.push(s);
      else byRoom.set(s.category, [s]);
    }
    for (const [room, list] of byRoom) broadcast(room, list);
    resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  },
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ type: 'listening', port });
  console.error(`[peer] listening on 127.0.0.1:${port}`);
});

const shutdown = async () => {
  await consumer.disconnect().catch(() => undefined);
  for (const ws of wss.clients) ws.terminate();
  server.close();
  db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
