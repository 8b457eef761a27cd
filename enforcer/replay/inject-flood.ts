// Synthetic floods added to a replayed log, to check that a real attack in real traffic is caught.
import type { LogEvent } from './parse-line.js';
import { normaliseIp } from '../net/ip.js';

/** A flood from one address, in simulated time (after --speed compression). */
export interface FloodSpec {
  ip: string;
  /** Log time (epoch s) the flood starts; default: the middle of the log. */
  at?: number;
  /** Simulated seconds it lasts; default 30. */
  durationSec?: number;
  /** Requests per simulated second; default 20. */
  rate?: number;
  /** Status of the flood's requests; default 200. */
  status?: number;
}

/**
 * The requests of a flood, as log events that compress (at `speed`) into `rate` requests in each of `durationSec`
 * consecutive simulated seconds.
 * @example floodEvents({ ip: '203.0.113.66', at: 1431900000, durationSec: 10, rate: 20 }, 24, 1431850000, 1431950000).length === 200
 */
export function floodEvents(spec: FloodSpec, speed: number, firstT: number, lastT: number): LogEvent[] {
  const ip = normaliseIp(spec.ip);
  if (!ip) throw new Error(`inject: not an IP address: ${JSON.stringify(spec.ip)}`);
  const duration = spec.durationSec ?? 30;
  const rate = spec.rate ?? 20;
  const status = spec.status ?? 200;
  const start = Math.floor(spec.at ?? (firstT + lastT) / 2);
  const out: LogEvent[] = [];
  // Align to the start of a simulated second so each simulated second gets exactly `rate` requests.
  const base = firstT + Math.ceil((start - firstT) / speed) * speed;
  for (let s = 0; s < duration; s++) {
    const t = base + s * speed;
    for (let k = 0; k < rate; k++) out.push({ t, ip, status });
  }
  return out;
}
