/**
 * Dead letters in real headless Chromium against `npm start`'s stack: a poison record produced to
 * Kafka appears on the admin's Dead letters page; the admin fixes its value and replays it; the
 * event arrives once in the feed and the page shows the replay produced (docs/bridge.md).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { produce, unique } from '../support/kafka.ts';

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

describe('browser > dead letters', () => {
  it('a poison record appears on the page; the admin fixes and replays it; it arrives once; the outcome shows', async () => {
    const { origin, token } = stack!;
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${origin}/#token=${token}`);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });

    const run = unique('br-dl');
    const id = `${run}-gate`;
    const title = `Gate in fixed ${run}`;
    await produce('port-events', [{ key: id, value: JSON.stringify({ id, eventType: 'GateIn' }) }]);

    await page.getByTestId('open-dead-letters').click();
    await page.getByTestId('dead-letters-page').waitFor();
    await page.getByTestId('dl-filter-topic').fill('port-events');
    const row = page.getByTestId('dead-letter-row').filter({ hasText: id });
    const deadline = Date.now() + 60_000;
    while ((await row.count()) === 0) {
      if (Date.now() > deadline) throw new Error('the dead letter never appeared on the page');
      await page.getByTestId('dl-filter-apply').click();
      await page.waitForTimeout(1000);
    }
    expect(await row.getByTestId('dead-letter-status').textContent()).toBe('new');
    await row.getByTestId('dead-letter-open').click();
    const detail = page.getByTestId('dead-letter-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('dead-letter-value').inputValue()).toBe(
      JSON.stringify({ id, eventType: 'GateIn' }),
    );
    await detail
      .getByTestId('dead-letter-value')
      .fill(JSON.stringify({ id, eventType: 'GateIn', title, eventTime: new Date().toISOString() }));
    await detail.getByTestId('dead-letter-replay').click();
    await detail
      .getByTestId('dead-letter-replay-outcome')
      .and(page.locator('[data-status="produced"]'))
      .waitFor({ timeout: 30_000 });
    expect(await detail.getByTestId('dead-letter-replay-outcome').textContent()).toMatch(/produced at \d+:\d+/);
    await row.locator('[data-testid="dead-letter-status"]', { hasText: 'replayed' }).waitFor({ timeout: 10_000 });
    await page.keyboard.press('Escape');

    // Once in the feed (pushed live) and once in the API.
    await page.getByText(title, { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    expect(await page.getByText(title, { exact: false }).count()).toBe(1);
    const listed = (await (
      await fetch(`${origin}/api/events?q=${encodeURIComponent(run)}`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { data: { id: string }[] };
    expect(listed.data.filter((e) => e.id === id)).toHaveLength(1);
    expect(errors).toEqual([]);
    await context.close();
  });
});
