/**
 * The six scenarios. Each run starts its own system (fresh topics, consumer group and storage)
 * and its own load generators (child processes), measures, checks delivery, and stops all of it.
 */

import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Category } from '../protocol/enums.ts';
import type { Options, ScenarioName } from './lib/args.ts';
import { ask } from './lib/children.ts';
import { cpuPerThousand } from './lib/stats.ts';
import {
  ALL_ROOMS,
  clientProcsFor,
  deliveryFields,
  drain,
  liveRun,
  openClients,
  produce,
  progressOf,
  readSut,
  results,
  startSut,
  withRun,
  type Context,
  type Progress,
  type RunResult,
} from './harness.ts';
import type { SystemName } from './stack/systems.ts';

export type { Context, RunResult } from './harness.ts';

export type Scenario = {
  goal: string;
  /** Wall-clock seconds of one round (both systems) on a quiet 2-core machine, setup included (fitted to measured runs). */
  estimateS: (o: Options) => number;
  params: (o: Options) => Record<string, number | boolean>;
  /** The figures compared between the systems (ratio Quaycast / peer), with the better direction. */
  headline: { key: string; better: 'lower' | 'higher' }[];
  passed: (r: RunResult) => boolean;
  run: (ctx: Context, system: SystemName) => Promise<RunResult>;
};

// The scenarios

export const scenarios: Record<ScenarioName, Scenario> = {
  latency: {
    goal: 'p50 ≤ 20 ms, p99 ≤ 100 ms, 0 lost, 0 duplicated',
    estimateS: (o) => 2 * ((o.durationS ?? 60) + (o.clients ?? 500) / 500 + 3),
    params: (o) => ({
      rate: o.rate ?? 500,
      rooms: 5,
      clients: o.clients ?? 500,
      durationS: o.durationS ?? 60,
      warmupS: 2,
    }),
    headline: [
      { key: 'p50Ms', better: 'lower' },
      { key: 'p99Ms', better: 'lower' },
      { key: 'cpuSecondsPer1kDeliveries', better: 'lower' },
    ],
    passed: (r) => !r.failed && Number(r.p50Ms) <= 20 && Number(r.p99Ms) <= 100,
    run: (ctx, name) => {
      const p = scenarios.latency.params(ctx.options);
      return liveRun(ctx, name, {
        rooms: ALL_ROOMS,
        clients: Number(p.clients),
        rate: Number(p.rate),
        durationS: Number(p.durationS),
        warmupS: 2,
        filtered: true,
      });
    },
  },

  ingest: {
    goal: '≥ 10,000 events/s stored (rows = unique events)',
    estimateS: (o) => 2 * ((o.events ?? 50_000) / 10_000 + 2),
    params: (o) => ({ events: o.events ?? 50_000 }),
    headline: [
      { key: 'eventsPerSec', better: 'higher' },
      { key: 'cpuSecondsPer1kEvents', better: 'lower' },
    ],
    passed: (r) => !r.failed && Number(r.eventsPerSec) >= 10_000,
    run: (ctx, name) => {
      const count = Number(scenarios.ingest.params(ctx.options).events);
      let produceMs = 0;
      // Method: a backlog is produced before the system starts; the drain rate is the ingest rate.
      return withRun(
        ctx,
        name,
        {
          clientProcs: 0,
          beforeStart: async (run) => {
            produceMs = (await produce(ctx, run, ALL_ROOMS, { count }, 300_000)).ms;
          },
        },
        async (run, system) => {
          startSut(run);
          const deadline = Date.now() + 300_000;
          let first: { at: number; rows: number } | undefined;
          let rows = 0;
          let lastMove = Date.now();
          let lastRows = -1;
          while (rows < count && Date.now() < deadline && Date.now() - lastMove < 20_000) {
            await sleep(50);
            rows = await system.countEvents();
            if (rows > 0 && !first) first = { at: Date.now(), rows };
            if (rows !== lastRows) {
              lastRows = rows;
              lastMove = Date.now();
            }
          }
          const end = Date.now();
          const sut = readSut(run);
          const cpu = Number(sut.cpuSeconds);
          const diagnostics = await system.diagnostics();
          const drained = first ? rows - first.rows : 0;
          const seconds = first ? (end - first.at) / 1000 : NaN;
          return {
            ...diagnostics,
            produced: count,
            produceMs,
            rows,
            eventsPerSec: seconds > 0 ? Math.round(drained / seconds) : 0,
            ms: Math.round(seconds * 1000),
            lost: count - rows,
            duplicated: 0, // rows are unique by the id primary key in both systems
            failed: rows !== count,
            ...sut,
            cpuSecondsPer1kEvents: cpuPerThousand(cpu, rows),
            loadGenCpuSeconds: 0, // the backlog was produced before the measurement
          };
        },
      );
    },
  },

  fanout: {
    goal: 'p99 ≤ 150 ms, 0 lost, 0 duplicated',
    estimateS: (o) => 2 * ((o.durationS ?? 15) + (o.clients ?? 2000) / 1000 + 3),
    params: (o) => ({ rate: o.rate ?? 20, rooms: 1, clients: o.clients ?? 2000, durationS: o.durationS ?? 15 }),
    headline: [
      { key: 'p99Ms', better: 'lower' },
      { key: 'cpuSecondsPer1kDeliveries', better: 'lower' },
    ],
    passed: (r) => !r.failed && Number(r.p99Ms) <= 150,
    run: (ctx, name) => {
      const p = scenarios.fanout.params(ctx.options);
      return liveRun(ctx, name, {
        rooms: ['Ship'],
        clients: Number(p.clients),
        rate: Number(p.rate),
        durationS: Number(p.durationS),
        warmupS: 2,
        filtered: false,
      });
    },
  },

  idle: {
    goal: '≤ 4 KiB of server memory per idle socket after the rooms could hibernate',
    estimateS: (o) => 2 * ((o.idleS ?? 12) + (o.clients ?? 5000) / 1000 + 3),
    params: (o) => ({ sockets: o.clients ?? 5000, idleS: o.idleS ?? 12, deflate: o.deflate }),
    headline: [{ key: 'bytesPerSocket', better: 'lower' }],
    passed: (r) => !r.failed && Number(r.bytesPerSocket) <= 4096,
    run: (ctx, name) => {
      const p = scenarios.idle.params(ctx.options);
      const sockets = Number(p.sockets);
      return withRun(ctx, name, { clientProcs: 3 }, async (run, system) => {
        // one warm socket per room first, so the baseline includes the rooms themselves
        const [warm, ...bulk] = run.clientProcs as [ChildProcess, ...ChildProcess[]];
        await openClients(
          ctx,
          run,
          system,
          ALL_ROOMS,
          ALL_ROOMS.map((room) => ({ room, severities: null })),
          16,
          [warm],
        );
        await sleep(3000);
        const before = system.serverRss();
        startSut(run);
        const specs = Array.from({ length: sockets }, (_, i) => ({
          room: ALL_ROOMS[i % ALL_ROOMS.length]!,
          severities: null,
        }));
        const opened = await openClients(ctx, run, system, ALL_ROOMS, specs, 16, bulk);
        const connected = system.serverRss();
        const connectSut = readSut(run);
        startSut(run);
        await sleep(Number(p.idleS) * 1000);
        const after = system.serverRss();
        const idleCpu = run.sut.read();
        const back = await progressOf(run, 0, run.clientProcs);
        return {
          sockets: opened.ok,
          connectFailed: opened.failed,
          connectMs: opened.ms,
          stillOpen: back.back,
          rssBeforeBytes: before,
          rssConnectedBytes: connected,
          rssAfterIdleBytes: after,
          bytesPerSocket: opened.ok > 0 ? Math.round((after - before) / opened.ok) : NaN,
          bytesPerSocketJustConnected: opened.ok > 0 ? Math.round((connected - before) / opened.ok) : NaN,
          permessageDeflateOffered: ctx.options.deflate,
          ...connectSut,
          idleCpuSeconds: idleCpu,
          loadGenCpuSeconds: run.load.read(),
          failed: opened.failed > 0 || back.back < opened.ok + ALL_ROOMS.length,
        };
      });
    },
  },

  replay: {
    goal: 'all 10,000 missed events, in order, once, within 1 s of reconnecting',
    estimateS: (o) => 2 * ((o.events ?? 10_000) / 5000 + 1),
    params: (o) => ({ events: o.events ?? 10_000 }),
    headline: [{ key: 'ms', better: 'lower' }],
    passed: (r) => !r.failed && Number(r.ms) <= 1000,
    run: (ctx, name) => {
      const count = Number(scenarios.replay.params(ctx.options).events);
      const rooms: Category[] = ['Berth'];
      return withRun(ctx, name, { clientProcs: 1 }, async (run, system) => {
        await openClients(ctx, run, system, rooms, [{ room: 'Berth', severities: null }], count + 16);
        await ask(run.clientProcs[0]!, { type: 'latency', on: false }, 'latency', 10_000);
        await ask(run.clientProcs[0]!, { type: 'close' }, 'closed', 10_000); // offline, cursor kept
        await produce(ctx, run, rooms, { count }, 300_000);
        const deadline = Date.now() + 300_000;
        while ((await system.countEvents()) < count && Date.now() < deadline) await sleep(200);
        startSut(run);
        run.load.start();
        await ask(run.clientProcs[0]!, { type: 'resume' }, 'resumed', 10_000);
        let p: Progress;
        const until = Date.now() + 60_000;
        do {
          await sleep(20);
          p = await progressOf(run, count);
        } while ((p.back < 1 || p.received < p.expected) && Date.now() < until);
        const r = await results(run, count);
        return {
          events: count,
          ms: p.lastBackMs,
          ...deliveryFields(r.delivery),
          failed: r.delivery.lost > 0 || r.delivery.duplicated > 0 || r.delivery.outOfOrder > 0,
          ...readSut(run),
          loadGenCpuSeconds: run.load.read(),
        };
      });
    },
  },

  storm: {
    goal: 'all clients back and gap-free within 10 s of a mass drop',
    estimateS: (o) => 2 * (5 + (o.durationS ?? 12) + (o.clients ?? 2000) / 1000 + 3),
    params: (o) => ({
      clients: o.clients ?? 2000,
      rate: o.rate ?? 20,
      beforeS: 5,
      afterS: o.durationS ?? 12,
      jitterMs: 1000,
    }),
    headline: [{ key: 'ms', better: 'lower' }],
    passed: (r) => !r.failed && Number(r.ms) >= 0 && Number(r.ms) <= 10_000,
    run: (ctx, name) => {
      const p = scenarios.storm.params(ctx.options);
      const clients = Number(p.clients);
      const rooms: Category[] = ['Port'];
      return withRun(ctx, name, { clientProcs: clientProcsFor(clients) }, async (run, system) => {
        const totalS = Number(p.beforeS) + Number(p.afterS);
        const specs = Array.from({ length: clients }, () => ({ room: 'Port' as Category, severities: null }));
        const opened = await openClients(ctx, run, system, rooms, specs, Math.ceil(Number(p.rate) * totalS) + 16);
        await sleep(1000);
        startSut(run);
        run.load.start();
        const producing = produce(
          ctx,
          run,
          rooms,
          { rate: Number(p.rate), durationMs: totalS * 1000 },
          totalS * 1000 + 120_000,
        );
        await sleep(Number(p.beforeS) * 1000);
        await Promise.all(run.clientProcs.map((c) => ask(c, { type: 'latency', on: false }, 'latency', 10_000)));
        await Promise.all(
          run.clientProcs.map((c) => ask(c, { type: 'drop', jitterMs: p.jitterMs }, 'dropped', 10_000)),
        );
        const droppedAt = Date.now();
        let backMs = -1;
        let pr: Progress;
        do {
          await sleep(100);
          pr = await progressOf(run, 0);
          if (pr.back >= opened.ok) backMs = pr.lastBackMs;
        } while (backMs < 0 && Date.now() - droppedAt < 60_000);
        const { produced } = await producing;
        await drain(run, produced);
        const sut = readSut(run);
        const cpu = Number(sut.cpuSeconds);
        const r = await results(run, produced);
        return {
          clients: opened.ok,
          produced,
          ms: backMs,
          ...deliveryFields(r.delivery),
          ...sut,
          loadGenCpuSeconds: run.load.read(),
          cpuSecondsPer1kDeliveries: cpuPerThousand(cpu, r.delivery.received),
          failedConnects: r.failedConnects,
          unexpectedCloses: r.unexpectedCloses,
        };
      });
    },
  },
};
