/**
 * Rules in real headless Chromium against `npm start`'s stack (SIMULATE=0): a rule is created on
 * the Rules page, an event produced to Kafka matches it, the bell shows it (pushed on the inbox
 * socket), and a real local receiver gets the signed webhook (docs/rules.md).
 */
import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.ts';
import { startLocalStack, type LocalStack } from '../../scripts/lib/local-stack.ts';
import { produce, unique } from '../support/kafka.ts';
import { until } from '../support/wait.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

let stack: LocalStack | undefined;
let browser: Browser;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  stack = await startLocalStack();
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await receiver?.close();
}, 60_000);

describe('browser > rules', () => {
  it('creates a rule in the UI; a Kafka event that matches it rings the bell and reaches the webhook receiver, signed', async () => {
    const { origin, token } = stack!;
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/#token=${token}`);
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('bell').getAttribute('aria-label')).toBe('Notifications: 0 unread');

    const run = unique('br-rule');
    const eventType = `ReeferAlarm-${run}`;
    await page.getByTestId('open-rules').click();
    await page.getByTestId('rules-page').waitFor();
    await page.getByTestId('rule-name').fill(`Warm reefer ${run}`);
    await page.getByTestId('rule-category').selectOption('Container');
    await page.getByTestId('rule-event-type').fill(eventType);
    await page.getByTestId('rule-severity-Critical').check();
    await page.getByTestId('rule-path').fill('eventData.temperatureC');
    await page.getByTestId('rule-value').fill('-15');
    await page.getByTestId('rule-notify-users').fill('local-operator');
    await page.getByTestId('rule-webhook').fill(`${receiver.url}/hooks/browser`);
    await page.getByTestId('rule-try').click();
    await expect(page.getByTestId('rule-tried').textContent()).resolves.toMatch(
      /Would have fired 0 times in the last 24 h/,
    );
    await page.getByTestId('rule-create').click();
    await page
      .getByTestId('rule-row')
      .filter({ hasText: `Warm reefer ${run}` })
      .waitFor();
    await page.keyboard.press('Escape');

    const id = `${run}-warm`;
    await produce('container-events', [
      {
        key: id,
        value: JSON.stringify({
          id,
          eventType,
          title: `Reefer MSCU7000042 at -11.5 C ${run}`,
          severity: 'Critical',
          containerId: 'MSCU7000042',
          eventData: { temperatureC: -11.5 },
          eventTime: new Date().toISOString(),
        }),
      },
      {
        key: `${id}-cold`,
        value: JSON.stringify({
          id: `${id}-cold`,
          eventType,
          title: `Reefer cold ${run}`,
          severity: 'Critical',
          containerId: 'MSCU7000043',
          eventData: { temperatureC: -19 },
        }),
      },
    ]);

    // The bell, pushed live (no reload): one unread, the warm one.
    await page.getByTestId('bell-count').filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('bell').click();
    const inbox = page.getByTestId('inbox');
    await inbox.getByText(`Reefer MSCU7000042 at -11.5 C ${run}`, { exact: false }).waitFor();
    expect(await inbox.getByTestId('notification').count()).toBe(1);

    // The receiver got it once, signed with the rule's secret.
    const got = await until('the webhook', () =>
      receiver.to('/hooks/browser').length > 0 ? receiver.to('/hooks/browser') : undefined,
    );
    const rules = (await (
      await fetch(`${origin}/api/rules`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      data: { name: string; secret: string }[];
    };
    const secret = rules.data.find((r) => r.name === `Warm reefer ${run}`)!.secret;
    const req = got[0]!;
    const parts = Object.fromEntries(
      String(req.headers['quaycast-signature'])
        .split(',')
        .map((p) => p.split('=', 2)),
    );
    expect(parts.v1).toBe(createHmac('sha256', secret).update(`${parts.t}.${req.raw}`).digest('hex'));
    expect(JSON.parse(req.raw)).toMatchObject({ event: { id, eventData: { temperatureC: -11.5 } } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.to('/hooks/browser')).toHaveLength(1);

    // Mark all read: the count goes to zero and stays right after a reload (read from the API).
    await inbox.getByText('Mark all read').click();
    await page.getByTestId('bell-count').waitFor({ state: 'detached' });
    await page.reload();
    await page.locator('[data-testid="connection-status"][data-kind="connected"]').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('bell').getAttribute('aria-label')).toBe('Notifications: 0 unread');
    expect(errors).toEqual([]);
    await context.close();
  });
});
