import { screen, waitFor } from '@solidjs/testing-library';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import type { Pipeline } from '../../../protocol/pipeline.ts';
import { useStats } from '../stores/context.tsx';
import { fakeApi, liveRoomEnv, renderApp } from '../test/helpers.tsx';
import { StatusIndicator } from './StatusIndicator.tsx';

const stalled: Pick<Pipeline, 'state' | 'reasons'> = {
  state: 'stalled',
  reasons: [
    'port-events/2 has not moved for 3 min (bridge quaycast-bridge@host-1; last error: HTTP 500).',
    '41 records wait in Kafka (for 3 min) and nothing was stored for 3 min.',
  ],
};

/** Renders the pill with every room live, and `/api/stats` answering `pipeline` from `next()`. */
function renderPill(next: () => unknown) {
  const api = fakeApi({ stats: vi.fn(async () => ({ total: 0, pipeline: next() })) });
  let refresh: () => Promise<void> = async () => {};
  function Refresher() {
    refresh = useStats()[1].refresh;
    return null;
  }
  renderApp(
    () => (
      <>
        <StatusIndicator />
        <Refresher />
      </>
    ),
    { api, roomEnv: liveRoomEnv() },
  );
  return { refresh: () => refresh() };
}

const pill = () => screen.getByTestId('connection-status');

describe('web > StatusIndicator', () => {
  it('says Live while the rooms are open and the pipeline flows or is idle', async () => {
    renderPill(() => ({ state: 'idle', reasons: ['1 bridge reporting, 6 partitions, nothing waiting in Kafka.'] }));
    await waitFor(() => expect(pill().dataset.pipeline).toBe('idle'));
    await waitFor(() => expect(pill().dataset.kind).toBe('connected'));
    expect(pill().textContent).toBe('Live');
    expect(screen.queryByTestId('pipeline-reason')).toBeNull();
  });

  it('says Stalled, with the first reason visible, while the rooms are open but the pipeline is stalled — and Live again once it recovers', async () => {
    let current: unknown = stalled;
    const { refresh } = renderPill(() => current);
    await waitFor(() => expect(pill().dataset.kind).toBe('connected'));
    await waitFor(() => expect(pill().dataset.pipeline).toBe('stalled'));
    expect(pill().textContent).not.toContain('Live');
    expect(pill().querySelector('.conn-label')!.textContent).toBe('Stalled');
    expect(screen.getByTestId('pipeline-reason').textContent).toBe(stalled.reasons[0]);
    expect(pill().classList.contains('conn-stalled')).toBe(true);
    expect(pill().getAttribute('title')).toContain(stalled.reasons[1]);
    // The pill is the live region: the reason is announced with the state.
    expect(pill().getAttribute('role')).toBe('status');

    current = { state: 'flowing', reasons: ['1 bridge reporting, 6 partitions, 12 records on the way.'] };
    await refresh();
    await waitFor(() => expect(pill().textContent).toBe('Live'));
    expect(pill().classList.contains('conn-stalled')).toBe(false);
  });

  it('says Stalled when no bridge reports (pipeline unknown), with that reason', async () => {
    renderPill(() => ({
      state: 'unknown',
      reasons: ['Bridge quaycast-bridge@host-1 last reported 4 min ago (it reports every 30 s): it is gone.'],
    }));
    await waitFor(() => expect(pill().dataset.pipeline).toBe('unknown'));
    await waitFor(() => expect(pill().dataset.kind).toBe('connected'));
    expect(pill().querySelector('.conn-label')!.textContent).toBe('Stalled');
    expect(screen.getByTestId('pipeline-reason').textContent).toMatch(/it is gone/);
  });

  it('ignores a pipeline it cannot read (older Worker, hostile JSON) and stays on the connection', async () => {
    renderPill(() => ({ state: 'on fire', reasons: [1, null, { x: 1 }] }));
    await waitFor(() => expect(pill().dataset.kind).toBe('connected'));
    expect(pill().dataset.pipeline).toBe('none');
    expect(pill().textContent).toBe('Live');
  });
});

describe('web > styles > stalled colours', () => {
  /** WCAG 2 relative luminance and contrast ratio. */
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5]
      .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };
  // Read from disk: vitest hands CSS imports to tests as empty strings.
  const css = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../styles/tokens.css'), 'utf8');
  const theme = (name: 'light' | 'dark') => {
    const block = new RegExp(`\\[data-theme=['"]${name}['"]\\] \\{([^}]*)\\}`).exec(css)![1]!;
    return (v: string) => new RegExp(`--${v}: (#[0-9a-f]{6});`).exec(block)![1]!;
  };

  it.each(['light', 'dark'] as const)(
    'meets WCAG AA (4.5:1) for the Stalled label and its reason in the %s theme',
    (name) => {
      const v = theme(name);
      expect(contrast(v('stalled'), v('stalled-bg'))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v('stalled'), v('surface'))).toBeGreaterThanOrEqual(4.5);
      expect(contrast(v('text'), v('stalled-bg'))).toBeGreaterThanOrEqual(4.5);
      // and 3:1 for the border against the bar it sits on (a graphic)
      expect(contrast(v('stalled'), v('surface'))).toBeGreaterThanOrEqual(3);
    },
  );
});
