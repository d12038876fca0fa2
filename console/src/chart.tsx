/**
 * A time-series chart (uPlot on a canvas). The canvas says nothing to a screen reader, so the
 * figure carries a label and the same numbers are in a table beside it on every page that
 * charts them.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: number[];
  color: string;
  /** Formats a value on the axis and in the legend. */
  format?: (value: number) => string;
}

export interface ChartProps {
  title: string;
  /** Epoch seconds of each point. */
  times: number[];
  series: Series[];
  height?: number;
}

export function Chart({ title, times, series, height = 180 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const format = series[0]?.format ?? ((value: number) => String(value));
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, values) => values.map((value) => format(value)), size: 84 }],
        series: [
          { label: 'time' },
          ...series.map((line) => ({
            label: line.label,
            stroke: line.color,
            fill: `${line.color}22`,
            width: 2,
            points: { show: times.length < 40 },
            value: (_u: uPlot, value: number | null) =>
              value === null ? '—' : (line.format ?? format)(value),
          })),
        ],
      },
      [times, ...series.map((line) => line.values)],
      element,
    );
    const resize = () => plot.setSize({ width: Math.max(280, element.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [times, series, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title} chart`} />
    </figure>
  );
}
