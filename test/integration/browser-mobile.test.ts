/**
 * The dashboard on phones and tablets (issue #18, docs/mobile.md) in real headless Chromium
 * against `npm start`'s stack: no element wider than the viewport at 360–1024 px, Watching and
 * the overview in a drawer, the detail a full-screen sheet, touch targets of at least 44 px,
 * axe (WCAG 2 A/AA) at phone size, screenshots (docs/screenshots/ with UPDATE_SCREENSHOTS=1).
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { produce, unique } from '../support/kafka.ts';
import { ROOT } from '../support/paths.ts';

const TOPIC = 'container-events';
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let stack: LocalStack | undefined;
let baseUrl = '';
let token = '';
let browser: Browser;
/** The pages' console, for a failure's message. */
const logs: string[] = [];

const SIZES = [
  { name: 'phone-360', width: 360, height: 740, mobile: true },
  { name: 'phone-390', width: 390, height: 844, mobile: true },
  { name: 'tablet-768', width: 768, height: 1024, mobile: true },
  { name: 'tablet-1024', width: 1024, height: 768, mobile: true },
] as const;

/**
 * Every rendered element reaching past the viewport's right edge or wider than it, unless a
 * clipping ancestor (overflow other than visible) that itself fits contains it; and the page's
 * scroll width. A string, so that no bundler helper ends up in the page.
 */
const OVERFLOW = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false })) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= vw + 0.5 && r.width <= vw + 0.5) continue;
    let p = el.parentElement;
    let clipped = false;
    while (p && p !== document.body) {
      if (getComputedStyle(p).overflowX !== 'visible') {
        const pr = p.getBoundingClientRect();
        if (pr.right <= vw + 0.5) { clipped = true; break; }
      }
      p = p.parentElement;
    }
    if (!clipped) out.push(el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  return { vw, scrollWidth: document.documentElement.scrollWidth, out };
})()`;

/** Visible controls smaller than 44 × 44 px (a button's or chip's box; a text input's height). */
const SMALL_TARGETS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href], label.chip, [role="button"]')) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    if (el.closest('.sr-only, .skip')) continue;
    if (el.matches('.chip input')) continue; // the chip (its label) is the target
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.height < 43.5 || r.width < 43.5) out.push((el.getAttribute('data-testid') || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30) || el.tagName) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  return out;
})()`;

async function produceEvents(runId: string, n: number): Promise<string[]> {
  const sev = ['Low', 'Medium', 'High', 'Critical'];
  const ids = Array.from({ length: n }, (_, i) => `${runId}-${i}`);
  await produce(
    TOPIC,
    ids.map((id, i) => ({
      key: id,
      value: JSON.stringify({
        id,
        eventType: 'ReeferTemperatureAlarm',
        title: `Reefer GESU48202${i}5 supply air -14.${i} °C, set point -18 °C, at the APMT reefer stack`,
        severity: sev[i % 4],
        requiresAction: i % 2 === 0,
        description: 'A long description that wraps on a phone '.repeat(4),
        eventTime: new Date().toISOString(),
        source: 'browser-mobile-test',
        containerId: `GESU48202${i}5`,
        portId: 'NLRTM',
      }),
    })),
  );
  return ids;
}

async function open(size: (typeof SIZES)[number], opts: { bypassCSP?: boolean } = {}) {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: size.width, height: size.height },
    isMobile: size.mobile,
    hasTouch: size.mobile,
    bypassCSP: opts.bypassCSP ?? false,
  });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  await page.goto(`${baseUrl}/#token=${token}`);
  await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
  return { context, page, errors };
}

async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await document.fonts.ready;
    for (let i = 0; i < 3; i++) await new Promise((r) => requestAnimationFrame(r));
  });
  await page.waitForTimeout(250); // the drawer's transition
}

async function expectFits(page: Page, what: string): Promise<void> {
  const r = (await page.evaluate(OVERFLOW)) as { vw: number; scrollWidth: number; out: string[] };
  expect(r.out, `${what}: elements past the viewport`).toEqual([]);
  expect(r.scrollWidth, `${what}: page scroll width`).toBeLessThanOrEqual(r.vw);
}

type AxeResult = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
async function axe(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_PATH });
  const r = (await page.evaluate(() =>
    (window as unknown as { axe: { run(d: Document, o: unknown): Promise<AxeResult> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    }),
  )) as AxeResult;
  return r.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}

const shots = path.join(
  ROOT,
  process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test/artifacts/screenshots',
);

beforeAll(async () => {
  stack = await startLocalStack();
  ({ origin: baseUrl, token } = stack);
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

describe('browser > mobile layout', () => {
  let ids: string[] = [];
  beforeAll(async () => {
    ids = await produceEvents(unique('bm-layout'), 6);
  });

  for (const size of SIZES) {
    it(`${size.name} (${size.width}×${size.height}): the feed first, nothing wider than the viewport, the drawer and the sheet, 44 px targets`, async () => {
      const { context, page, errors } = await open(size);
      const last = page.locator(`article[data-id="${ids.at(-1)}"]`);
      await last.waitFor({ timeout: 30_000 });
      await settle(page);
      // the feed is on screen, the drawer is not
      expect(await page.getByTestId('sidebar').isVisible()).toBe(false);
      const feedBox = await page.locator('#feed-region').boundingBox();
      expect(feedBox!.y).toBeLessThan(size.height / 2);
      await expectFits(page, 'feed');
      expect(await page.evaluate(SMALL_TARGETS), 'feed: small targets').toEqual([]);
      await page.screenshot({ path: path.join(shots, `mobile-${size.name}-feed.png`) });

      // Watching and the overview in the drawer: every room and severity checkbox on screen
      await page.getByTestId('open-drawer').click();
      await settle(page);
      const checks = page.locator('.sidebar input[type="checkbox"]');
      expect(await checks.count()).toBe(9);
      for (let i = 0; i < 9; i++) await expect(checks.nth(i).isVisible()).resolves.toBe(true);
      await page.locator('.sidebar .chip').first().scrollIntoViewIfNeeded();
      const chip = await page.locator('.sidebar .chip').first().boundingBox();
      expect(chip!.x).toBeGreaterThanOrEqual(0);
      expect(chip!.x + chip!.width).toBeLessThanOrEqual(size.width);
      expect(await page.locator('.sidebar .insights, .sidebar section').count()).toBeGreaterThan(1);
      await expectFits(page, 'drawer');
      expect(await page.evaluate(SMALL_TARGETS), 'drawer: small targets').toEqual([]);
      await page.screenshot({ path: path.join(shots, `mobile-${size.name}-drawer.png`) });
      await page.keyboard.press('Escape');
      await settle(page);
      expect(await page.getByTestId('sidebar').isVisible()).toBe(false);

      // the detail: a full-screen sheet
      await last.click();
      const detail = page.getByTestId('detail');
      await detail.waitFor();
      await settle(page);
      const box = await detail.boundingBox();
      expect(box).toEqual({ x: 0, y: 0, width: size.width, height: size.height });
      await expectFits(page, 'detail');
      expect(await page.evaluate(SMALL_TARGETS), 'detail: small targets').toEqual([]);
      await page.screenshot({ path: path.join(shots, `mobile-${size.name}-detail.png`) });
      await page.getByRole('button', { name: 'Close detail (Esc)' }).click();
      await detail.waitFor({ state: 'detached' });
      expect(errors).toEqual([]);
      await context.close();
    });
  }

  it('passes axe (WCAG 2.1 A/AA) at phone size: the feed, the drawer, the detail sheet', async () => {
    const { context, page } = await open(SIZES[1], { bypassCSP: true }); // axe is injected inline
    await page.locator(`article[data-id="${ids.at(-1)}"]`).waitFor({ timeout: 30_000 });
    await settle(page);
    expect(await axe(page), 'feed').toEqual([]);
    await page.getByTestId('open-drawer').click();
    await settle(page);
    expect(await axe(page), 'drawer').toEqual([]);
    await page.getByTestId('close-drawer').click();
    await page.locator(`article[data-id="${ids.at(-1)}"]`).click();
    await page.getByTestId('detail').waitFor();
    await settle(page);
    expect(await axe(page), 'detail').toEqual([]);
    await context.close();
  });

  it('keeps the keyboard shortcuts on a desktop and shows no drawer toggle there', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/#token=${token}`);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('open-drawer').isVisible()).toBe(false);
    expect(await page.getByTestId('sidebar').isVisible()).toBe(true);
    await page.locator('body').press('/');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type)).toBe('search');
    await context.close();
  });
});

/** A PNG's width and height, from its IHDR chunk. */
function pngSize(buf: ArrayBuffer): [number, number] {
  const v = new DataView(buf);
  expect(v.getUint32(0)).toBe(0x89504e47);
  return [v.getUint32(16), v.getUint32(20)];
}

describe('browser > installable and offline shell', () => {
  it('meets the installability criteria: manifest, icons 192/512 and maskable, a service worker controlling the page; the shell opens offline', async () => {
    // the manifest, served by the Worker's static assets
    const res = await fetch(`${baseUrl}/manifest.webmanifest`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/manifest\+json|application\/json/);
    const manifest = (await res.json()) as {
      name: string;
      short_name: string;
      start_url: string;
      display: string;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest.name).toBe('Quaycast');
    expect(manifest.short_name).toBeTruthy();
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    const want = [
      ['192x192', 'any'],
      ['512x512', 'any'],
      ['512x512', 'maskable'],
    ];
    for (const [sizes, purpose] of want) {
      const icon = manifest.icons.find((i) => i.sizes === sizes && (i.purpose ?? 'any').split(' ').includes(purpose!));
      expect(icon, `${sizes} ${purpose}`).toBeDefined();
      const img = await fetch(new URL(icon!.src, baseUrl));
      expect(img.headers.get('content-type')).toBe('image/png');
      const [w, h] = pngSize(await img.arrayBuffer());
      expect(`${w}x${h}`).toBe(sizes);
    }
    const sw = await fetch(`${baseUrl}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('content-type')).toMatch(/javascript/);
    expect(sw.headers.get('content-security-policy')).toMatch(/worker-src 'self'/);

    const { context, page, errors } = await open(SIZES[1]);
    expect(await page.locator('link[rel="manifest"]').getAttribute('href')).toBe('/manifest.webmanifest');
    const controlled = await page
      .waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 })
      .then(() => true)
      .catch(() => false);
    const registrations = await page.evaluate(async () =>
      (await navigator.serviceWorker.getRegistrations()).map((r) => ({
        scope: r.scope,
        active: r.active?.state,
        installing: r.installing?.state,
        waiting: r.waiting?.state,
      })),
    );
    expect(controlled, JSON.stringify({ registrations, console: logs })).toBe(true);
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(`${baseUrl}/`);
    // Chromium's own verdict: the manifest it parsed and no installability error
    const cdp = await context.newCDPSession(page);
    const parsed = (await cdp.send('Page.getAppManifest')) as { url: string; errors: { message: string }[] };
    expect(parsed.url).toBe(`${baseUrl}/manifest.webmanifest`);
    expect(parsed.errors).toEqual([]);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    // 'in-incognito' is the test browser's own fresh profile, not the app
    expect(installabilityErrors.map((e) => e.errorId).filter((e) => e !== 'in-incognito')).toEqual([]);

    // the app shell with the network gone: served by the service worker's precache
    await context.setOffline(true);
    await page.reload();
    await page.locator('.topbar').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="connection-status"]').getAttribute('data-kind')).not.toBe('connected');
    await page.screenshot({ path: path.join(shots, 'mobile-offline-shell.png') });
    await context.setOffline(false);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('browser > alarms on this device', () => {
  it('offers the push toggle where push works, and a push click’s link opens its event', async () => {
    const [id] = await produceEvents(unique('bm-push'), 1);
    const { context, page, errors } = await open(SIZES[1]);
    await page.locator(`article[data-id="${id}"]`).waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 30_000 });

    // The dev Worker has VAPID keys: the toggle is in the inbox, off (not subscribed yet).
    await page.getByTestId('bell').click();
    const toggle = page.getByTestId('push-toggle');
    await toggle.waitFor({ timeout: 15_000 });
    expect(await toggle.getAttribute('data-state')).toBe('off');
    // A push's click opens `/?event=<id>&category=<room>`: the detail of that event, the URL cleaned.
    await page.goto(`${baseUrl}/?event=${encodeURIComponent(id!)}&category=Container#token=${token}`);
    const detail = page.getByTestId('detail');
    // The detail opens at once; the event fills it when the rooms' snapshot has come.
    await detail.getByText('Reefer GESU482020', { exact: false }).first().waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).search).toBe('');
    expect(errors).toEqual([]);
    await context.close();
  });
});
