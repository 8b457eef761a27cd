// Reads an access log line by line (streaming: large logs never sit in memory as text) into requests. A line longer
// than MAX_LINE_BYTES is skipped and counted without ever being held whole (a 600 MB line used to crash replay).
import { createReadStream } from 'node:fs';
import { escapeControl } from '../core/text.js';
import { parseLine, type LogEvent } from './parse-line.js';

/** The longest line read; longer ones are skipped (an nginx access log line is a few hundred bytes). */
export const MAX_LINE_BYTES = 64 * 1024;

/** What reading a log gave. */
export interface LogRead {
  events: LogEvent[];
  /** Every line read, including blank lines and comments. */
  lines: number;
  /** Lines that are neither requests, blank nor `#` comments (malformed, bad address or time, overlong). */
  skipped: number;
  /** Of the skipped lines, those longer than MAX_LINE_BYTES. */
  overlong: number;
  /** Up to 5 skipped lines with their numbers, for the summary (cut to 120 characters, control characters escaped). */
  skippedSamples: Array<{ line: number; text: string }>;
}

/**
 * Reads and parses every line of `file`.
 * @example const { events, skipped } = await readLog('/var/log/nginx/access.log');
 */
export async function readLog(file: string): Promise<LogRead> {
  const out: LogRead = { events: [], lines: 0, skipped: 0, overlong: 0, skippedSamples: [] };
  const skip = (text: string) => {
    out.skipped++;
    if (out.skippedSamples.length < 5) out.skippedSamples.push({ line: out.lines, text: escapeControl(text.slice(0, 120)) });
  };
  const take = (line: string) => {
    out.lines++;
    const ev = parseLine(line);
    if (ev) {
      out.events.push(ev);
      return;
    }
    const s = line.trim();
    if (s === '' || s.startsWith('#')) return;
    skip(s);
  };
  let parts: Buffer[] = [];
  let held = 0;
  let dropping = false;
  const endLine = (tail: Buffer) => {
    if (dropping) {
      out.lines++;
      out.overlong++;
      skip(`(a line longer than ${MAX_LINE_BYTES} bytes)`);
      dropping = false;
    } else {
      parts.push(tail);
      take(Buffer.concat(parts).toString('utf8').replace(/\r$/, ''));
    }
    parts = [];
    held = 0;
  };
  try {
    for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
        if (!dropping && held + (nl - start) > MAX_LINE_BYTES) dropping = true;
        endLine(chunk.subarray(start, nl));
        start = nl + 1;
      }
      if (start < chunk.length && !dropping) {
        held += chunk.length - start;
        if (held > MAX_LINE_BYTES) {
          dropping = true;
          parts = [];
        } else {
          parts.push(Buffer.from(chunk.subarray(start)));
        }
      }
    }
    if (held > 0 || dropping) endLine(Buffer.alloc(0));
  } catch (err) {
    throw new Error(`cannot read access log ${file}: ${(err as Error).message}`, { cause: err });
  }
  return out;
}
