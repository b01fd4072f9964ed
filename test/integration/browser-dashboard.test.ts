/**
 * The dashboard in real headless Chromium against `npm start`'s stack (scripts/start.ts with
 * SIMULATE=0): real Kafka broker, bridge, Worker under wrangler dev serving the built web/.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce, unique } from '../support/kafka.ts';
import { ROOT } from '../support/paths.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { signJwt } from '../../protocol/jwt.ts';
import { devSecrets } from '../../scripts/dev-secrets.ts';

const TOPIC = 'container-events';
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let stack: LocalStack | undefined;
let baseUrl = '';
let token = '';
let browser: Browser;

async function api<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${baseUrl}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Waits until the API has stored every id (so the browser test knows they exist while it is away). */
async function waitStored(ids: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await Promise.all(
      ids.map((id) =>
        fetch(`${baseUrl}/api/events/${encodeURIComponent(id)}`, {
          headers: { authorization: `Bearer ${token}` },
        }).then((r) => r.ok),
      ),
    );
    if (found.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`stored ${found.filter(Boolean).length} of ${ids.length} in ${timeoutMs} ms`);
    await sleep(250);
  }
}

type Kind = {
  severity: string;
  title: string;
  eventType: string;
  ids: Record<string, string>;
  requiresAction?: boolean;
  description?: string;
};

async function produceEvents(runId: string, kinds: Kind[]): Promise<string[]> {
  const ids = kinds.map((_, i) => `${runId}-${i}`);
  await produce(
    TOPIC,
    kinds.map((k, i) => ({
      key: ids[i]!,
      value: JSON.stringify({
        id: ids[i],
        eventType: k.eventType,
        title: k.title,
        severity: k.severity,
        requiresAction: k.requiresAction ?? false,
        description: k.description ?? null,
        eventTime: new Date().toISOString(),
        source: 'browser-test',
        ...k.ids,
      }),
    })),
  );
  return ids;
}

/**
 * A page with the WebSockets it opens recorded (to cut them as a network drop would), and every
 * Content-Security-Policy violation it reports (`csp`: the console's and the page's
 * securitypolicyviolation events). `bypassCSP` only for injecting test tools (axe) as inline scripts.
 */
async function openDashboard(
  opts: { colorScheme?: 'light' | 'dark'; width?: number; bypassCSP?: boolean; token?: string } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[]; csp: () => Promise<string[]> }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1440, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
    bypassCSP: opts.bypassCSP ?? false,
  });
  await context.addInitScript(() => {
    const v = window as unknown as { __csp: string[] };
    v.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      v.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  await context.addInitScript(() => {
    const w = window as unknown as { __sockets: WebSocket[]; __socketUrls: string[] };
    w.__sockets = [];
    w.__socketUrls = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        w.__sockets.push(this);
        w.__socketUrls.push(String(url));
      }
    } as typeof WebSocket;
  });
  const page = await context.newPage();
  const errors: string[] = [];
  const consoleCsp: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|evaluate|frame)/i.test(m.text()))
      consoleCsp.push(m.text());
  });
  await page.goto(`${baseUrl}/#token=${opts.token ?? token}`);
  await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
  const csp = async () => [
    ...consoleCsp,
    ...(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)),
  ];
  return { context, page, errors, csp };
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

describe('browser > dashboard', () => {
  it('runs under its Content-Security-Policy with no violation: signs in, goes live on a WebSocket, shows an event, opens the create form', async () => {
    const res = await fetch(`${baseUrl}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const { context, page, errors, csp } = await openDashboard();
    expect(
      await page.evaluate(() =>
        (window as unknown as { __socketUrls: string[] }).__socketUrls.some((u) =>
          /^ws:\/\/.*\/api\/rooms\/\w+\/ws/.test(u),
        ),
      ),
    ).toBe(true);
    const runId = unique('bt-csp');
    const [id] = await produceEvents(runId, [
      { severity: 'High', title: `Crane stop ${runId}`, eventType: 'CraneFault', ids: { berthId: 'EMX-01' } },
    ]);
    await row(page, id!).waitFor({ timeout: 30_000 });
    await row(page, id!).click();
    await page.getByTestId('detail').waitFor();
    // The create form validates with the shared zod schema: no eval, so nothing for script-src to refuse.
    await page.getByTestId('create-event').click();
    await page.getByTestId('submit-create').click();
    await page.getByText('Required', { exact: true }).first().waitFor();
    await page.keyboard.press('Escape');
    // The dashboard refuses to be framed (frame-ancestors 'none', X-Frame-Options: DENY), even by itself.
    const renderedInFrame = await page.evaluate(async (url) => {
      const frame = document.createElement('iframe');
      const loaded = new Promise((resolve) => {
        frame.addEventListener('load', resolve, { once: true });
        setTimeout(resolve, 5000);
      });
      frame.src = url;
      document.body.append(frame);
      await loaded;
      try {
        return frame.contentDocument?.getElementById('root') != null;
      } catch {
        return false; // an error page of another origin: not the dashboard
      }
    }, `${baseUrl}/`);
    expect(renderedInFrame).toBe(false);
    const violations = (await csp()).filter((v) => !/frame-ancestors/.test(v)); // the refused frame is the only expected report
    expect(violations).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs in from #token=, removes it from the address bar, and shows an event produced to Kafka', async () => {
    const { context, page, errors, csp } = await openDashboard();
    expect(page.url()).toBe(`${baseUrl}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('qc_token'))).toBe(token);
    const runId = unique('bt-live');
    const [id] = await produceEvents(runId, [
      {
        severity: 'Critical',
        title: `Reefer alarm ${runId}`,
        eventType: 'ReeferAlarm',
        ids: { containerId: 'MSCU7000001' },
        requiresAction: true,
      },
    ]);
    const r = row(page, id!);
    await r.waitFor({ timeout: 30_000 });
    await expect(r.textContent()).resolves.toContain('Critical');
    await expect(r.textContent()).resolves.toContain('Action required');
    await expect(r.textContent()).resolves.toMatch(/container-events\/\d+@\d+/);
    expect(await page.locator('[role="feed"]').count()).toBe(1);
    expect(errors).toEqual([]);
    expect(await csp()).toEqual([]);
    await context.close();
  });

  it('reconnects after its socket is cut and shows the events it missed, once each', async () => {
    const { context, page } = await openDashboard();
    const before = await page.evaluate(() => (window as unknown as { __socketUrls: string[] }).__socketUrls.length);
    await context.setOffline(true);
    await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.forEach((s) => s.close()));
    await page.locator('[data-testid="connection-status"]:not([data-kind="connected"])').waitFor({ timeout: 10_000 });
    const runId = unique('bt-missed');
    const ids = await produceEvents(
      runId,
      Array.from({ length: 6 }, (_, i) => ({
        severity: 'Medium',
        title: `Gate-out ${runId} ${i}`,
        eventType: 'GateOut',
        ids: { containerId: `MSCU71000${i}` },
      })),
    );
    await waitStored(ids);
    expect(await row(page, ids[0]!).count()).toBe(0); // really missed while away
    await context.setOffline(false);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    for (const id of ids) await row(page, id).waitFor({ timeout: 30_000 });
    // A sentinel produced after them: the room pushes in seq order, so a duplicate would be here by the time it is.
    const [sentinel] = await produceEvents(`${runId}-s`, [
      { severity: 'Low', title: `Sentinel ${runId}`, eventType: 'GateOut', ids: { containerId: 'MSCU7100099' } },
    ]);
    await row(page, sentinel!).waitFor({ timeout: 30_000 });
    for (const id of ids) expect(await row(page, id).count()).toBe(1);
    const urls = await page.evaluate(() => (window as unknown as { __socketUrls: string[] }).__socketUrls);
    const resumed = urls.slice(before).filter((u) => u.includes('/api/rooms/Container/ws'));
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.at(-1)).toMatch(/after=\d+/);
    await context.close();
  });

  it('asks to sign in again when its token expires under it, keeps its place, and after the new sign-in shows what arrived meanwhile, once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const mint = (sub: string, seconds: number) =>
      signJwt(
        { sub, name: sub, role: 'operator', iat: now, exp: Math.floor(Date.now() / 1000) + seconds },
        devSecrets().JWT_SECRET,
      );
    const { context, page, errors } = await openDashboard({ token: await mint('bt-expiring', 15) });
    const runId = unique('bt-expiry');
    const [opened] = await produceEvents(runId, [
      {
        severity: 'High',
        title: `Reefer drift ${runId}`,
        eventType: 'ReeferAlarm',
        ids: { containerId: 'MSCU7200001' },
      },
    ]);
    await row(page, opened!).click();
    await page.getByTestId('detail').getByText(`Reefer drift ${runId}`).first().waitFor();
    // The rooms close the sockets at the token's exp (4401); the sign-in opens over the dashboard.
    const dialog = page.getByRole('dialog', { name: 'Sign in again' });
    await dialog.waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('detail').textContent()).resolves.toContain(`Reefer drift ${runId}`); // its place, underneath
    // Meanwhile an event arrives that the expired dashboard cannot see yet.
    const [missed] = await produceEvents(`${runId}-m`, [
      { severity: 'Medium', title: `Gate-in ${runId}`, eventType: 'GateIn', ids: { containerId: 'MSCU7200002' } },
    ]);
    await waitStored([missed!]);
    expect(await row(page, missed!).count()).toBe(0);
    await dialog.locator('textarea').fill(await mint('bt-renewed', 3600));
    await dialog.locator('button[type="submit"]').click();
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    await row(page, missed!).waitFor({ timeout: 30_000 }); // resumed from the cursor
    await expect(page.getByTestId('detail').textContent()).resolves.toContain(`Reefer drift ${runId}`);
    await expect(page.getByTestId('user').textContent()).resolves.toContain('bt-renewed');
    const [sentinel] = await produceEvents(`${runId}-s`, [
      { severity: 'Low', title: `Sentinel ${runId}`, eventType: 'GateIn', ids: { containerId: 'MSCU7200003' } },
    ]);
    await row(page, sentinel!).waitFor({ timeout: 30_000 });
    expect(await row(page, opened!).count()).toBe(1);
    expect(await row(page, missed!).count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('creates an event, then acknowledges and resolves it, with keyboard navigation to it', async () => {
    const { context, page, errors } = await openDashboard();
    const runId = unique('bt-flow').replace(/-/g, '');
    await page.getByTestId('create-event').click();
    await page.getByTestId('submit-create').click();
    expect(await page.getByText('Required', { exact: true }).count()).toBe(2); // inline validation from the shared schema
    await page.getByLabel('Title').fill(`Crane fault ${runId}`);
    await page.locator('#f-eventType').fill('CraneFault');
    await page.locator('#f-severity').selectOption('High');
    await page.locator('#f-berthId').fill('EMX-03');
    await page.getByTestId('submit-create').click();
    await page.locator('[role="dialog"]').waitFor({ state: 'detached' });
    const created = page.locator('article', { hasText: `Crane fault ${runId}` });
    await created.waitFor({ timeout: 30_000 });
    const id = (await created.getAttribute('data-id'))!;
    await expect(created.textContent()).resolves.toContain('API');

    // find it with the search box, then j + Enter opens it
    await page.keyboard.press('/');
    await page.keyboard.type(runId);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="shown-count"]')?.textContent?.startsWith('1 '),
    );
    await page.locator('[role="feed"]').focus();
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    const detail = page.getByTestId('detail');
    await detail.waitFor();
    await expect(detail.locator('h2').textContent()).resolves.toContain(runId);

    await detail.locator('[data-action="acknowledge"]').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="detail-status"]')?.textContent === 'Acknowledged',
    );
    await detail.locator('[data-action="resolve"]').waitFor();
    await expect
      .poll(async () => (await api<{ status: string }>('GET', `/api/events/${id}`)).status, { timeout: 15_000 })
      .toBe('Acknowledged');
    await detail.locator('[data-action="resolve"]').click();
    await page.getByLabel('Resolution note').fill('Crane restarted by the technician');
    await page.getByTestId('confirm-resolve').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="detail-status"]')?.textContent === 'Resolved',
      undefined,
      { timeout: 15_000 },
    );
    const stored = await api<{ status: string; resolution: string; acknowledgedBy: string }>(
      'GET',
      `/api/events/${id}`,
    );
    expect(stored).toMatchObject({
      status: 'Resolved',
      resolution: 'Crane restarted by the technician',
      acknowledgedBy: 'Local operator',
    });
    await detail.locator('[data-testid="history"] li', { hasText: 'resolve' }).waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('exports exactly the filtered rows as CSV', async () => {
    const { context, page } = await openDashboard();
    const word = unique('csv').replace(/-/g, '');
    const ids = await produceEvents(word, [
      {
        severity: 'Critical',
        title: `Berth overrun ${word} one`,
        eventType: 'BerthOverrun',
        ids: { berthId: 'EMX-01' },
      },
      {
        severity: 'Critical',
        title: `Berth overrun ${word} two`,
        eventType: 'BerthOverrun',
        ids: { berthId: 'EMX-02' },
      },
      { severity: 'Low', title: `Berth cleaned ${word} three`, eventType: 'BerthCleaned', ids: { berthId: 'EMX-03' } },
    ]);
    for (const id of ids) await row(page, id).waitFor({ timeout: 30_000 });
    await page.getByRole('searchbox').fill(word);
    // The search box says what text search reaches: the hot window, not the R2 archive (docs/archive.md).
    expect(await page.getByTestId('search-scope').textContent()).toContain('Text search covers the last 7 days');
    await page.locator('[data-filter="critical"]').click();
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="shown-count"]')?.textContent?.startsWith('2 '),
    );
    const onScreen = await page
      .locator('article')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).sort());
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const file = await download.path();
    const lines = readFileSync(file!, 'utf8').trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^id,seq,category,severity/);
    const exported = lines
      .slice(1)
      .map((l) => l.split(',')[0])
      .sort();
    expect(exported).toEqual(onScreen);
    expect(exported).toEqual([ids[0], ids[1]].sort());
    await context.close();
  });

  it('takes screenshots of the main view in light and dark, and fits a 768 px tablet', async () => {
    const runId = unique('bt-shot');
    await produceEvents(runId, [
      {
        severity: 'Low',
        title: 'Gate-in MSCU5071148 (45G1) at APMT truck gate',
        eventType: 'GateIn',
        ids: { containerId: 'MSCU5071148', portId: 'NLRTM' },
      },
      {
        severity: 'Medium',
        title: 'ONE Innovation all fast at EMX-03',
        eventType: 'VesselBerthed',
        ids: { shipId: '9106041', berthId: 'EMX-03' },
      },
      {
        severity: 'High',
        title: 'Reefer GESU4820255 supply air -14.3 °C, set point -18 °C',
        eventType: 'ReeferTemperatureAlarm',
        ids: { containerId: 'GESU4820255' },
        requiresAction: true,
      },
      {
        severity: 'Low',
        title: 'Discharge TCLU5070210 from ONE Triumph by QC-APM2-38',
        eventType: 'CraneMove',
        ids: { containerId: 'TCLU5070210', shipId: '9938250' },
      },
      {
        severity: 'Critical',
        title: 'Berth EMX-02 fender damaged during mooring',
        eventType: 'BerthDamage',
        ids: { berthId: 'EMX-02' },
        requiresAction: true,
      },
      {
        severity: 'Medium',
        title: 'Customs hold placed on HLXU5068710',
        eventType: 'CustomsHold',
        ids: { containerId: 'HLXU5068710' },
      },
      {
        severity: 'High',
        title: 'Wind gusts 52 kn: crane operations suspended',
        eventType: 'WeatherAlert',
        ids: { portId: 'NLRTM' },
        requiresAction: true,
      },
      {
        severity: 'Low',
        title: 'Load SEGU5071310 onto Munich Maersk by QC-EMX-21',
        eventType: 'CraneMove',
        ids: { containerId: 'SEGU5071310', shipId: '9335628' },
      },
    ]);
    // The docs' screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1): a test run leaves the tree clean.
    const shots = path.join(
      ROOT,
      process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test/artifacts/screenshots',
    );
    mkdirSync(shots, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      // bypassCSP: axe is injected as an inline script, which the dashboard's CSP rightly refuses.
      const { context, page } = await openDashboard({ colorScheme: scheme, bypassCSP: true });
      await row(page, `${runId}-7`).waitFor({ timeout: 30_000 });
      expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(scheme);
      await page.locator(`article[data-id="${runId}-2"]`).click();
      await page.getByTestId('detail').waitFor();
      // Lineage with per-stage times: the record's Kafka timestamp, then the Worker's receipt.
      expect(await page.getByTestId('pipeline').textContent()).toMatch(
        /^Kafka [+−]\d+(\.\d)? m?s → Worker [+−]\d+(\.\d)? m?s/,
      );
      // Fonts loaded and two frames painted: the screenshot shows what settled, not a transition.
      await page.evaluate(async () => {
        await document.fonts.ready;
        for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
      });
      await page.screenshot({ path: path.join(shots, `dashboard-${scheme}.png`) });
      // WCAG AA contrast, checked by axe-core on the rendered page (feed, overview, detail panel).
      await page.addScriptTag({ path: AXE_PATH });
      const contrast = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: {
              run(
                ctx: Document,
                opts: unknown,
              ): Promise<{
                violations: { id: string; nodes: { target: string[]; failureSummary?: string }[] }[];
                passes: { nodes: unknown[] }[];
              }>;
            };
          }
        ).axe;
        const r = await axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast'] } });
        return {
          violations: r.violations.flatMap((v) =>
            v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? v.id}`),
          ),
          checked: r.passes.reduce((a, p) => a + p.nodes.length, 0),
        };
      });
      expect(contrast.violations, `${scheme} theme`).toEqual([]);
      expect(contrast.checked).toBeGreaterThan(50);
      await context.close();
    }
    const { context, page } = await openDashboard({ width: 768 });
    await row(page, `${runId}-7`).waitFor({ timeout: 30_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(768);
    await page.screenshot({ path: path.join(shots, 'dashboard-tablet.png') });
    await context.close();
  });
});
