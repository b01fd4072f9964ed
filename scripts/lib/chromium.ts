/**
 * The system's headless Chromium (apt's `chromium`, brought by scripts/ensure-tools.sh) through
 * playwright-core: never a browser download. One launch for the browser test and the dashboard bench.
 */
import { type Browser, chromium } from 'playwright-core';

/** Where apt puts Chromium; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for a quiet headless run on a shared machine: no GPU, no background traffic, no updates. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
