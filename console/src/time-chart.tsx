/**
 * A uPlot chart over server-side time buckets (epoch seconds): lines, or stacked areas (each series drawn as
 * the running sum of itself and those before it). Gaps (null) stay gaps. The values are also listed in a
 * visually hidden table for screen readers, since a canvas says nothing.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#6b7280'];

export interface TimeSeries {
  label: string;
  values: (number | null)[];
}

function stampOf(t: number, hourly: boolean): string {
  const iso = new Date(t * 1000).toISOString();
  return hourly ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
}

/** `floor`: the y axis reaches at least this high (an all-zero error rate stays a flat line at 0 %). */
export function TimeChart({ t, series, label, unit, stacked = false, hourly = false, name, floor = 1 }: { t: number[]; series: TimeSeries[]; label: string; unit: (n: number) => string; stacked?: boolean; hourly?: boolean; name: string; floor?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const data: (number | null)[][] = [];
    series.forEach((s, i) => data.push(stacked ? s.values.map((v, j) => (v ?? 0) + (i ? (data[i - 1]![j] ?? 0) : 0)) : s.values));
    const size = () => ({ width: Math.max(260, el.current?.clientWidth ?? 600), height: 220 });
    const plot = new uPlot(
      {
        ...size(),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max ?? 0, floor) * 1.05] } },
        axes: [{}, { values: (_u, ticks) => ticks.map(unit), size: 64 }],
        series: [
          { label: hourly ? 'Hour (UTC)' : 'Day (UTC)', value: (_u, v) => (v == null ? '' : stampOf(v, hourly)) },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length]!,
            ...(stacked ? { fill: COLORS[i % COLORS.length]! + '55' } : {}),
            points: { show: true, size: 5 },
            spanGaps: false,
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) => (idx == null || s.values[idx] == null ? '—' : unit(s.values[idx]!)),
          })),
        ],
        bands: stacked ? series.slice(1).map((_s, i) => ({ series: [i + 2, i + 1] as [number, number] })) : [],
      },
      [t, ...data] as uPlot.AlignedData,
      el.current,
    );
    const resize = () => plot.setSize(size());
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [t, series]);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && v > 0).length, 0);
  return (
    <figure class="time-chart" data-chart={name}>
      <figcaption>{label}</figcaption>
      <div ref={el} class="chart" role="img" aria-label={`${label}: chart`} data-points={points} />
      <table class="sr-only">
        <caption>{label}</caption>
        <thead>
          <tr>
            <th scope="col">{hourly ? 'Hour (UTC)' : 'Day (UTC)'}</th>
            {series.map((s) => (
              <th scope="col">{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {t.map((x, i) =>
            series.some((s) => s.values[i]) ? (
              <tr>
                <th scope="row">{stampOf(x, hourly)}</th>
                {series.map((s) => (
                  <td>{s.values[i] == null ? '—' : unit(s.values[i]!)}</td>
                ))}
              </tr>
            ) : null,
          )}
        </tbody>
      </table>
    </figure>
  );
}
