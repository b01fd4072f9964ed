/**
 * A uPlot chart (canvas) that follows its container's width and the page's theme: the colours
 * come from the CSS tokens (--chart-1…5, --chart-grid, --text, --muted), read again when
 * <html data-theme> changes. New data of the same shape goes through `setData` (uPlot's fast
 * path); a new shape (other series) or theme rebuilds the chart. The canvas is `aria-hidden`:
 * the table next to every chart (InsightPage) is what screen readers read.
 */
import { createEffect, on, onCleanup, onMount, createSignal } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export type ChartColors = { series: string[]; grid: string; text: string; muted: string };

function readColors(): ChartColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    series: [1, 2, 3, 4, 5].map((i) => v(`--chart-${i}`)),
    grid: v('--chart-grid'),
    text: v('--text'),
    muted: v('--muted'),
  };
}

/** Axes in the theme's colours (x and y), for `build` to use. */
export function themedAxes(c: ChartColors, x: Partial<uPlot.Axis> = {}, y: Partial<uPlot.Axis> = {}): uPlot.Axis[] {
  const base = { stroke: c.muted, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
  return [
    { ...base, ...x },
    { ...base, ...y },
  ];
}

export function UChart(props: {
  /** Options but width and height; called again on a new shape or theme. */
  build: (colors: ChartColors) => Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  /** Changes when the series change (their labels): rebuilds the chart. */
  shape: string;
  height?: number;
  testid?: string;
}) {
  let box!: HTMLDivElement;
  let chart: uPlot | undefined;
  const [theme, setTheme] = createSignal(document.documentElement.dataset.theme ?? '');
  const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ''));
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  const width = () => Math.max(240, box.clientWidth || 480);
  function rebuild() {
    chart?.destroy();
    chart = new uPlot({ ...props.build(readColors()), width: width(), height: props.height ?? 220 }, props.data, box);
  }

  onMount(() => {
    createEffect(on([theme, () => props.shape], rebuild));
    createEffect(
      on(
        () => props.data,
        (d) => chart?.setData(d),
        { defer: true },
      ),
    );
    const resize = new ResizeObserver(() => chart?.setSize({ width: width(), height: props.height ?? 220 }));
    resize.observe(box);
    onCleanup(() => resize.disconnect());
  });
  onCleanup(() => {
    observer.disconnect();
    chart?.destroy();
  });
  return <div class="chart" ref={box} aria-hidden="true" data-testid={props.testid} />;
}
