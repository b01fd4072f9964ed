/** Events per minute over the last half hour, drawn as SVG bars (no chart library). */
import { For, createMemo } from 'solid-js';

const W = 300;
const H = 90;
const PAD_L = 28;
const PAD_B = 16;

export function RateChart(props: { series: { minute: number; count: number }[] }) {
  const max = createMemo(() => Math.max(1, ...props.series.map((p) => p.count)));
  const barW = () => (W - PAD_L) / Math.max(1, props.series.length);
  const total = () => props.series.reduce((s, p) => s + p.count, 0);
  const label = (m: number) =>
    new Date(m * 60_000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Events per minute, last ${props.series.length} minutes: ${total()} in all, at most ${max()} in a minute`}
      >
        <line x1={PAD_L} x2={W} y1={H - PAD_B} y2={H - PAD_B} class="axis" />
        <line x1={PAD_L} x2={W} y1={4} y2={4} class="grid" />
        <text x={PAD_L - 4} y={10} class="tick" text-anchor="end">
          {max()}
        </text>
        <text x={PAD_L - 4} y={H - PAD_B} class="tick" text-anchor="end">
          0
        </text>
        <For each={props.series}>
          {(p, i) => {
            const h = () => ((H - PAD_B - 4) * p.count) / max();
            return (
              <rect
                x={PAD_L + i() * barW() + 1}
                width={Math.max(1, barW() - 2)}
                y={H - PAD_B - h()}
                height={h()}
                class="bar"
              >
                <title>{`${label(p.minute)}: ${p.count}`}</title>
              </rect>
            );
          }}
        </For>
        <text x={PAD_L} y={H - 3} class="tick">
          {props.series[0] ? label(props.series[0].minute) : ''}
        </text>
        <text x={W} y={H - 3} class="tick" text-anchor="end">
          now
        </text>
      </svg>
    </figure>
  );
}
