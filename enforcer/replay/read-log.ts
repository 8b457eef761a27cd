// Reads an access log line by line (streaming: large logs never sit in memory as text) into requests.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseLine, type LogEvent } from './parse-line.js';

/** What reading a log gave. */
export interface LogRead {
  events: LogEvent[];
  /** Every line read, including blank lines and comments. */
  lines: number;
  /** Lines that are neither requests, blank nor `#` comments (malformed, bad address or time). */
  skipped: number;
  /** Up to 5 skipped lines with their numbers, for the summary. */
  skippedSamples: Array<{ line: number; text: string }>;
}

/**
 * Reads and parses every line of `file`.
 * @example const { events, skipped } = await readLog('/var/log/nginx/access.log');
 */
export async function readLog(file: string): Promise<LogRead> {
  const out: LogRead = { events: [], lines: 0, skipped: 0, skippedSamples: [] };
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      out.lines++;
      const ev = parseLine(line);
      if (ev) {
        out.events.push(ev);
        continue;
      }
      const s = line.trim();
      if (s === '' || s.startsWith('#')) continue;
      out.skipped++;
      if (out.skippedSamples.length < 5) out.skippedSamples.push({ line: out.lines, text: s.slice(0, 120) });
    }
  } catch (err) {
    throw new Error(`cannot read access log ${file}: ${(err as Error).message}`, { cause: err });
  }
  return out;
}
