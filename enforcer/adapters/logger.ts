// The daemon's logger: one line per event with an ISO time and level, and rate-limited logging for repeated failures.
import type { Clock } from '../core/types.js';
import { systemClock } from './clock.js';

/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log lines go: a function taking one line (with its newline). */
export type LogSink = (line: string) => void;

/** The logger every part of the daemon takes. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /**
   * Logs `msg` at `level` at most once per `ms` for `key`; the next line that gets through says how many were
   * suppressed. For repeated failures (nginx unreachable, dead webhook) so logs never flood.
   */
  every(key: string, ms: number, level: LogLevel, msg: string): void;
}

/** The standard error sink. */
export const stderrSink: LogSink = (line) => {
  process.stderr.write(line);
};

/**
 * A logger writing `2026-01-01T12:00:00.000Z WARN message` lines at or above `level`.
 * @example const log = createLogger('info'); log.every('nginx-down', 60_000, 'warn', 'nginx unreachable');
 */
export function createLogger(level: LogLevel = 'info', sink: LogSink = stderrSink, clock: Clock = systemClock): Logger {
  const min = rank[level] ?? rank.info;
  const last = new Map<string, { at: number; suppressed: number }>();
  const write = (l: LogLevel, msg: string): void => {
    if (rank[l] < min) return;
    const oneLine = msg.replace(/\r?\n/g, ' | ');
    try {
      sink(`${new Date(clock.nowMs()).toISOString()} ${l.toUpperCase()} ${oneLine}\n`);
    } catch {
      /* a broken sink must never break the caller */
    }
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    every(key, ms, l, msg) {
      const now = clock.nowMs();
      const e = last.get(key);
      if (e && now - e.at < ms) {
        e.suppressed++;
        return;
      }
      const extra = e && e.suppressed > 0 ? ` (${e.suppressed} similar message(s) suppressed)` : '';
      last.set(key, { at: now, suppressed: 0 });
      write(l, msg + extra);
    },
  };
}
