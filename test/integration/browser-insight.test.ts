/**
 * The Insight page and the SLA countdowns in real headless Chromium against `npm start`'s stack
 * (SIMULATE=0): the page draws its uPlot charts with a table behind each, an acknowledge made
 * elsewhere moves MTTA on the open page without a reload, the feed row shows the countdown, and
 * nothing is logged as an error; screenshots light and dark (docs/dashboard.md, "Insight").
 */
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { ROOT } from '../support/paths.ts';
import { unique } from '../support/kafka.ts';
import { until } from '../support/wait.ts';

let stack: LocalStack | undefined;
let browser: Browser;

beforeAll(async () => {
  stack = await startLocalStack();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${stack!.origin}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${stack!.token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/**
 * A new context's page on the dashboard, connected, collecting errors. `prepare` runs on the
 * context before the page opens (permissions, Playwright's clock).
 */
async function open(
  colorScheme: 'light' | 'dark',
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<{ page: Page; errors: string[]; context: BrowserContext }> {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    colorScheme,
    acceptDownloads: true,
  });
  await prepare?.(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${stack!.origin}/#token=${stack!.token}`);
  await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
  return { page, errors, context };
}

describe('browser > insight', () => {
  it('draws the charts with their tables, moves MTTA live on an acknowledge, shows the SLA countdown, logs no error', async () => {
    const run = unique('br-insight');
    const eventType = `Insight-${run}`;
    const ids = [`${run}-a`, `${run}-b`];
    const posted = await api('/api/events', {
      method: 'POST',
      body: ids.map((id) => ({
        id,
        category: 'Container',
        eventType,
        title: `insight probe ${id}`,
        severity: 'Critical',
        requiresAction: true,
      })),
    });
    expect(posted.status).toBeLessThan(300);
    // One of them acknowledged before the page opens: the table starts at 1.
    expect((await api(`/api/events/${ids[0]}`, { method: 'PATCH', body: { action: 'acknowledge' } })).status).toBe(200);

    const { page, errors } = await open('light');
    // The feed row of the open one counts down to its ack target.
    const row = page.locator(`article.row[data-id="${ids[1]}"]`);
    await row.waitFor({ timeout: 30_000 });
    await expect(row.getByTestId('sla').textContent()).resolves.toMatch(/Ack/);

    await page.getByTestId('open-insight').click();
    await page.getByTestId('insight-page').waitFor();
    await page.getByTestId('insight-by').selectOption('eventType');
    const mine = page.locator(`[data-testid="rt-table"] tr[data-key="${eventType}"]`);
    await mine.waitFor({ state: 'attached', timeout: 30_000 });
    await until(
      'ack count 1',
      async () => ((await mine.locator('[data-col="ack-count"]').textContent()) === '1' ? true : undefined),
      30_000,
    );
    await until(
      'a chart',
      async () => ((await page.locator('[data-testid="insight-page"] canvas').count()) > 0 ? true : undefined),
      30_000,
    );
    for (const table of ['rt-table', 'sla-table', 'trends-table', 'top-table'])
      expect(await page.getByTestId(table).count(), table).toBe(1);
    await until(
      'the page loaded',
      async () => ((await page.getByTestId('insight-status').textContent())?.includes('Updated') ? true : undefined),
      30_000,
    );
    await page.screenshot({ path: `${ROOT}/docs/screenshots/insight-light.png` });

    // Acknowledged elsewhere: the open page follows without a reload.
    expect((await api(`/api/events/${ids[1]}`, { method: 'PATCH', body: { action: 'acknowledge' } })).status).toBe(200);
    await until(
      'ack count 2 live',
      async () => ((await mine.locator('[data-col="ack-count"]').textContent()) === '2' ? true : undefined),
      30_000,
    );
    expect(errors).toEqual([]);

    const dark = await open('dark');
    await dark.page.getByTestId('open-insight').click();
    await dark.page.getByTestId('insight-page').waitFor();
    await until(
      'a chart (dark)',
      async () => ((await dark.page.locator('[data-testid="insight-page"] canvas').count()) > 0 ? true : undefined),
      30_000,
    );
    await until(
      'the dark page loaded',
      async () =>
        (await dark.page.getByTestId('insight-status').textContent())?.includes('Updated') ? true : undefined,
      30_000,
    );
    await dark.page.screenshot({ path: `${ROOT}/docs/screenshots/insight-dark.png` });
    expect(dark.errors).toEqual([]);
  });

  it('an admin sets the Critical ack target to 1 min; an open Critical event turns amber, then red "breached … ago"; CSV downloads and copy give the table', async () => {
    const run = unique('br-sla');
    const eventType = `Sla-${run}`;
    // The page's clock is Playwright's (it runs at real speed until fast-forwarded): the countdown
    // is checked a minute on without waiting a minute.
    const { page, errors, context } = await open('light', async (c) => {
      await c.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack!.origin });
      await c.clock.install();
    });

    // The SLA editor: Critical (all categories) acknowledged within 1 minute.
    await page.getByTestId('open-insight').click();
    await page.getByTestId('insight-page').waitFor();
    await page.getByTestId('edit-sla').click();
    const critical = page.getByTestId('sla-row-Critical-all');
    await critical.getByTestId('sla-ack').fill('1');
    await page.getByTestId('sla-save').click();
    await page.getByTestId('sla-editor').waitFor({ state: 'detached' }); // closed once saved
    const saved = (await (await api('/api/sla')).json()) as {
      targets: { severity: string; category: string | null; ackMinutes: number }[];
    };
    expect(saved.targets.find((t) => t.severity === 'Critical' && t.category === null)?.ackMinutes).toBe(1);

    // An open Critical event: its countdown runs against 1 minute.
    const id = `${run}-a`;
    expect(
      (
        await api('/api/events', {
          method: 'POST',
          body: { id, category: 'Container', eventType, title: `sla probe ${id}`, severity: 'Critical' },
        })
      ).status,
    ).toBeLessThan(300);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    const badge = page.locator(`article.row[data-id="${id}"] [data-testid="sla"]`);
    await badge.waitFor({ timeout: 30_000 });
    const stateOf = () => badge.getAttribute('data-state');
    const colourOf = () => badge.evaluate((el) => getComputedStyle(el).color);
    await until('the countdown ok', async () => ((await stateOf()) === 'ok' ? true : undefined), 10_000);
    const okColour = await colourOf();
    await page.clock.fastForward(50_000);
    await until('amber: due soon', async () => ((await stateOf()) === 'warning' ? true : undefined), 10_000);
    expect(await badge.textContent()).toMatch(/Ack due soon: \d+ s/);
    const amber = await colourOf();
    await page.clock.fastForward(20_000);
    await until('red: breached', async () => ((await stateOf()) === 'breached' ? true : undefined), 10_000);
    expect(await badge.textContent()).toMatch(/Ack breached \d+ s ago/);
    const red = await colourOf();
    expect(new Set([okColour, amber, red]).size).toBe(3); // three colours, besides the words and marks
    expect(await badge.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(176, 0, 32)'); // --sla-breached-bg
    await page.screenshot({ path: `${ROOT}/docs/screenshots/sla-breached.png` });

    // CSV of a chart, and its table copied (acknowledged, the event has a response time: its row).
    expect((await api(`/api/events/${id}`, { method: 'PATCH', body: { action: 'acknowledge' } })).status).toBe(200);
    await page.getByTestId('open-insight').click();
    await page.getByTestId('insight-page').waitFor();
    await page.getByTestId('insight-by').selectOption('eventType');
    await page
      .locator(`[data-testid="rt-table"] tr[data-key="${eventType}"]`)
      .waitFor({ state: 'attached', timeout: 30_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('response-times-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^quaycast-insight-response-times-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/,/); // a header row
    await page.getByTestId('response-times').getByRole('button', { name: 'Copy table' }).click();
    await until('copied', async () => {
      const text = await page.evaluate(() => navigator.clipboard.readText());
      return text.includes(eventType) ? text : undefined;
    });
    expect(errors).toEqual([]);
    await context.close();
  });
});
