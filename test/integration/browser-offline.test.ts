/**
 * The dashboard offline (issue #18, docs/mobile.md) in real headless Chromium against `npm start`'s
 * stack: the network goes (context.setOffline), the page reloads from the service worker and shows
 * the feed kept in IndexedDB, marked offline with its age; an acknowledge is queued (pending) with
 * a stable action id; events are produced to Kafka meanwhile; back online, every room resumes from
 * its stored cursor and the queue is sent: the event ends acknowledged once (its history has one
 * acknowledge, a replay of the same action id changes nothing) and every event produced meanwhile
 * is shown once. A queued acknowledge that meets an event someone else resolved meanwhile ends as
 * a conflict shown to the user.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { produce, unique } from '../support/kafka.ts';

const TOPIC = 'container-events';

let stack: LocalStack | undefined;
let baseUrl = '';
let token = '';
let browser: Browser;

async function api(method: string, p: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function waitStored(ids: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(ids.map((id) => api('GET', `/api/events/${id}`).then((r) => r.status)));
    if (statuses.every((s) => s === 200)) return;
    if (Date.now() > deadline) throw new Error(`stored: ${statuses.join(', ')}`);
    await sleep(500);
  }
}

async function produceEvents(runId: string, n: number, requiresAction = false): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${runId}-${i}`);
  await produce(
    TOPIC,
    ids.map((id, i) => ({
      key: id,
      value: JSON.stringify({
        id,
        eventType: 'GateOut',
        title: `Gate-out ${runId} ${i}`,
        severity: 'Medium',
        requiresAction,
        eventTime: new Date().toISOString(),
        source: 'browser-offline-test',
        containerId: `MSCU72000${i}`,
      }),
    })),
  );
  return ids;
}

const row = (page: Page, id: string) => page.locator(`article[data-id="${id}"]`);

beforeAll(async () => {
  stack = await startLocalStack();
  ({ origin: baseUrl, token } = stack);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

describe('browser > offline', () => {
  it('shows the cached feed offline, queues an acknowledge, and on reconnect ends acknowledged once with every missed event shown once', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await context.addInitScript(() => {
      const w = window as unknown as { __sockets: WebSocket[] };
      w.__sockets = [];
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          w.__sockets.push(this);
        }
      } as typeof WebSocket;
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('requestfailed', (r) => logs.push(`failed ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    const patches: { url: string; body: string }[] = [];
    const answers: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push({ url: r.url(), body: r.postData() ?? '' });
    });
    page.on('response', async (r) => {
      if (r.request().method() === 'PATCH') answers.push(`${r.status()} ${await r.text().catch(() => '')}`);
    });
    await page.goto(`${baseUrl}/#token=${token}`);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

    const runId = unique('bo');
    const before = await produceEvents(`${runId}-a`, 3, true);
    const [target, rival] = before as [string, string, string];
    for (const id of before) await row(page, id).waitFor({ timeout: 30_000 });
    await sleep(2500); // the offline copy is saved at most once a second while live

    // the network goes: the page reloads from the service worker and the IndexedDB copy
    await context.setOffline(true);
    await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.forEach((s) => s.close()));
    await page.reload();
    const banner = page.getByTestId('offline-banner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.textContent()).toMatch(/^Offline/);
    expect(await page.getByTestId('offline-age').getAttribute('datetime')).toBeTruthy();
    for (const id of before) await row(page, id).waitFor({ timeout: 15_000 });

    // an acknowledge while offline: queued, shown as pending
    await row(page, target).click();
    await page.getByTestId('detail').waitFor();
    await page.locator('[data-testid="event-actions"] [data-action="acknowledge"]').click();
    await page.getByTestId('pending-actions').waitFor();
    expect(await page.getByTestId('detail-status').textContent()).toBe('Acknowledged');
    await page.getByRole('button', { name: 'Close detail (Esc)' }).click();
    // and one on the rival event, which someone else resolves meanwhile: a conflict on reconnect
    await row(page, rival).click();
    await page.locator('[data-testid="event-actions"] [data-action="acknowledge"]').click();
    await page.getByTestId('pending-actions').waitFor();
    await page.getByRole('button', { name: 'Close detail (Esc)' }).click();
    expect(await page.getByTestId('offline-pending').textContent()).toContain('2 actions');
    expect(await page.getByTestId('pending-count').textContent()).toBe('2 pending');
    expect(patches.length).toBe(0);
    const resolved = await api('PATCH', `/api/events/${rival}`, { action: 'resolve', resolution: 'done by another' });
    expect(resolved.status).toBe(200);

    // events produced while the page is offline
    const missed = await produceEvents(`${runId}-m`, 6);
    await waitStored(missed);
    expect(await row(page, missed[0]!).count()).toBe(0);

    // back online: rooms resume from their stored cursors, the queue is sent
    await context.setOffline(false);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    for (const id of missed) await row(page, id).waitFor({ timeout: 30_000 });
    const [sentinel] = await produceEvents(`${runId}-s`, 1);
    await row(page, sentinel!).waitFor({ timeout: 30_000 });
    for (const id of [...before, ...missed]) expect(await row(page, id).count(), id).toBe(1);
    await page.getByTestId('offline-banner').waitFor({ state: 'detached', timeout: 15_000 });

    // the acknowledge: applied once
    const drained = await page
      .getByTestId('pending-count')
      .waitFor({ state: 'detached', timeout: 30_000 })
      .then(() => true)
      .catch(() => false);
    expect(drained, JSON.stringify({ patches, answers, logs })).toBe(true);
    const ev = (await (await api('GET', `/api/events/${target}`)).json()) as { status: string };
    expect(ev.status, answers.join('\n')).toBe('Acknowledged');
    const sent = patches.filter((p) => p.url.endsWith(`/api/events/${target}`));
    expect(sent.length).toBeGreaterThanOrEqual(1);
    const { actionId } = JSON.parse(sent[0]!.body) as { actionId: string };
    expect(new Set(sent.map((p) => (JSON.parse(p.body) as { actionId: string }).actionId))).toEqual(
      new Set([actionId]),
    );
    // a replay of the same action id (a retry after a lost answer) changes nothing
    const replay = await api('PATCH', `/api/events/${target}`, { action: 'acknowledge', actionId });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('quaycast-action-replay')).toBe('true');
    const history = (await (await api('GET', `/api/events/${target}/history`)).json()) as {
      data?: { action: string }[];
    };
    const entries = Array.isArray(history) ? (history as { action: string }[]) : (history.data ?? []);
    expect(entries.filter((h) => h.action === 'acknowledge').length).toBe(1);

    // the rival: not applied, told to the user, the event shows its current state
    await page.getByText(/Not applied: acknowledge of/).waitFor({ timeout: 15_000 });
    const rivalNow = (await (await api('GET', `/api/events/${rival}`)).json()) as { status: string };
    expect(rivalNow.status).toBe('Resolved');
    await row(page, rival).click();
    await page.getByTestId('detail').waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="detail-status"]')?.textContent === 'Resolved',
      undefined,
      { timeout: 15_000 },
    );
    expect(errors).toEqual([]);
    await context.close();
  });
});
