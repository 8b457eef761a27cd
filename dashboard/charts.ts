// The two charts (uPlot): the global rate against the baseline over the last hour, and the hour-of-day slots.
import uPlot from 'uplot';
import { api } from './api.js';
import { $, banner } from './dom.js';
import { fmtRate } from './format.js';

const HOUR = 3600;
const series: { t: number[]; rate: number[]; mean: number[]; upper: number[] } = { t: [], rate: [], mean: [], upper: [] };
let rateChart: uPlot | null = null;
let slotsChart: uPlot | null = null;
let zscore = 3;

/** The z-score threshold the threshold line is drawn at. */
export function setZscore(z: number): void {
  zscore = z;
}

function chartWidth(id: string): number {
  return Math.max(280, $(id).clientWidth - 8);
}

/** Adds a point to the rate chart's last hour. */
export function pushPoint(t: number, rate: number, mean: number, stddev: number): void {
  const n = series.t.length;
  if (n && t <= series.t[n - 1]) return;
  series.t.push(t);
  series.rate.push(rate);
  series.mean.push(mean);
  series.upper.push(mean + zscore * stddev);
  const cutoff = t - HOUR;
  while (series.t.length && series.t[0] < cutoff) {
    series.t.shift(); series.rate.shift(); series.mean.shift(); series.upper.shift();
  }
}

/** Draws (or updates) the rate chart. */
export function drawRateChart(): void {
  const data: uPlot.AlignedData = [series.t, series.rate, series.mean, series.upper];
  if (rateChart) { rateChart.setData(data); return; }
  rateChart = new uPlot({
    width: chartWidth('rate-chart'), height: 260,
    series: [
      {},
      { label: 'global req/s', stroke: '#2563eb', width: 2, fill: 'rgba(37,99,235,0.08)', value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'baseline mean', stroke: '#16a34a', width: 1.5, value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'threshold (mean + z·σ)', stroke: '#dc2626', width: 1.5, dash: [6, 4], value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
    ],
    bands: [{ series: [3, 2], fill: 'rgba(220,38,38,0.07)' }],
    axes: [{ stroke: '#64748b', grid: { stroke: '#eef2f7' } }, { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 50 }],
    scales: { x: { time: true } },
    legend: { live: true },
  }, data, $('rate-chart'));
}

/** Draws (or updates) the hour-slot chart. */
export function drawSlots(slots: Array<{ hour: number; mean: number; stddev: number; samples: number }>): void {
  const hours = slots.map((s) => s.hour);
  const data: uPlot.AlignedData = [hours, slots.map((s) => s.mean), slots.map((s) => s.mean + s.stddev)];
  if (slotsChart) { slotsChart.setData(data); return; }
  const bars = uPlot.paths.bars!({ size: [0.7, 40] });
  slotsChart = new uPlot({
    width: chartWidth('slots-chart'), height: 260,
    series: [
      { value: (_u, v) => (v == null ? '—' : `${String(v).padStart(2, '0')}:00 UTC`) },
      { label: 'mean req/s', stroke: '#7c3aed', fill: 'rgba(124,58,237,0.35)', paths: bars, points: { show: false },
        value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
      { label: 'mean + σ', stroke: '#a78bfa', width: 1, dash: [3, 3], points: { show: false }, value: (_u, v) => (v == null ? '—' : fmtRate(v)) },
    ],
    scales: { x: { time: false, range: [-0.5, 23.5] } },
    axes: [
      { stroke: '#64748b', grid: { show: false }, splits: () => [0, 3, 6, 9, 12, 15, 18, 21], values: (_u, v) => v.map((h) => `${h}h`) },
      { stroke: '#64748b', grid: { stroke: '#eef2f7' }, size: 50 },
    ],
    legend: { live: true },
  }, data, $('slots-chart'));
}

/** Loads the last hour of baselines and the hour slots. */
export async function loadBaseline(): Promise<void> {
  try {
    const b = await api<{ minutes: Array<{ at: number; mean: number; stddev: number; global_rate: number }>;
      hourly: Array<{ hour: number; mean: number; stddev: number; samples: number }> }>('GET', '/api/v1/baseline');
    const latest = b.minutes.length ? b.minutes[b.minutes.length - 1].at : 0;
    for (const m of b.minutes) if (m.at >= latest - HOUR) pushPoint(m.at, m.global_rate, m.mean, m.stddev);
    drawSlots(b.hourly);
  } catch (err) {
    banner(`baseline: ${(err as Error).message}`);
  }
}

/** Fits both charts to their boxes (on window resize). */
export function resizeCharts(): void {
  rateChart?.setSize({ width: chartWidth('rate-chart'), height: 260 });
  slotsChart?.setSize({ width: chartWidth('slots-chart'), height: 260 });
}
