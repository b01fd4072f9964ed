/**
 * The dashboard under a heavy stream, in real headless Chromium: `npm start`'s stack (no
 * simulator), the dashboard open on every room, then the simulator producing N events/s into
 * Kafka for D seconds. The page records every animation-frame interval and every long task
 * (> 50 ms main-thread blocks); the result says whether the feed kept up without jank.
 *
 *   npm run bench:dashboard [-- --rate 500 --seconds 20]
 *
 * Writes bench/results/dashboard.json and prints it.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../scripts/lib/local-stack.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { spawnProcessGroup, stopProcessGroup } from '../scripts/lib/process-group.ts';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '500' }, seconds: { type: 'string', default: '20' } },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
if (!(rate > 0 && seconds > 0)) {
  console.error('usage: npm run bench:dashboard -- [--rate N] [--seconds S]');
  process.exit(2);
}

let stack: LocalStack | undefined;
let sim: ChildProcess | undefined;

async function stopAll(): Promise<void> {
  if (sim) await stopProcessGroup(sim, { graceMs: 20_000 });
  await stack?.stop(20_000);
}
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

try {
  stack = await startLocalStack();
  const { link, origin } = stack;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(link);
  await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 60_000 });
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __longTasks: number[] };
    w.__frames = [];
    w.__longTasks = [];
    let last = performance.now();
    const tick = (t: number) => {
      w.__frames.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });

  const runId = `dash${Date.now().toString(36)}`;
  sim = spawnProcessGroup(
    process.execPath,
    [
      path.join(ROOT, 'scripts/simulate.ts'),
      '--rate',
      String(rate),
      '--minutes',
      String(seconds / 60),
      '--run-id',
      runId,
      '--seed',
      '7',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const simulated = sim;
  await new Promise((r) => simulated.once('exit', r));
  await page.waitForTimeout(3000); // let the tail of the stream arrive

  const raw = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __longTasks: number[] };
    return {
      frames: w.__frames,
      longTasks: w.__longTasks,
      shown: document.querySelector('[data-testid="shown-count"]')?.textContent ?? '',
    };
  });
  const res = await fetch(`${origin}/api/stats`, { headers: { authorization: `Bearer ${stack.token}` } });
  const stats = (await res.json()) as { total?: number };
  await browser.close();

  const frames = raw.frames.slice(1).sort((a, b) => a - b);
  const result = {
    at: new Date().toISOString(),
    command: `npm run bench:dashboard -- --rate ${rate} --seconds ${seconds}`,
    rate,
    seconds,
    eventsStored: stats.total ?? null,
    feedShown: raw.shown,
    frames: frames.length,
    fps: Math.round((frames.length / (seconds + 3)) * 10) / 10,
    frameMs: {
      p50: percentile(frames, 50),
      p95: percentile(frames, 95),
      p99: percentile(frames, 99),
      max: frames[frames.length - 1] ?? 0,
    },
    longTasks: {
      count: raw.longTasks.length,
      totalMs: Math.round(raw.longTasks.reduce((a, b) => a + b, 0)),
      maxMs: Math.round(Math.max(0, ...raw.longTasks)),
    },
  };
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/dashboard.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await stopAll();
}
