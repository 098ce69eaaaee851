/** A uPlot time-series chart (stacked bars per day would need a plugin; stacked areas via cumulative series). */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#6b7280'];

export interface ChartSeries {
  label: string;
  values: number[];
}

/** Stacked: each series is drawn as the running sum of itself and those before it, filled down to the previous. */
export function StackedChart({ days, series, label, unit }: { days: string[]; series: ChartSeries[]; label: string; unit: (n: number) => string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const xs = days.map((d) => Date.parse(d + 'T00:00:00Z') / 1000);
    const cum: number[][] = [];
    series.forEach((s, i) => cum.push(s.values.map((v, j) => v + (i ? cum[i - 1]![j]! : 0))));
    const width = Math.max(280, el.current.clientWidth);
    const plot = new uPlot(
      {
        width,
        height: 280,
        scales: { x: { time: true } },
        axes: [{}, { values: (_u, ticks) => ticks.map(unit), size: 70 }],
        series: [
          { label: 'Day', value: (_u, v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10)) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length]!,
            fill: COLORS[i % COLORS.length]! + '55',
            points: { show: true, size: 6 },
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx == null ? '' : unit(s.values[idx] ?? 0)),
          })),
        ],
        bands: series.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] as [number, number] })),
      },
      [xs, ...cum],
      el.current,
    );
    const resize = () => el.current && plot.setSize({ width: Math.max(280, el.current.clientWidth), height: 280 });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [days, series]);
  return <div ref={el} class="chart" role="img" aria-label={label} data-points={series.reduce((n, s) => n + s.values.filter((v) => v > 0).length, 0)} />;
}
