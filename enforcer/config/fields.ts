// Zod field builders whose error messages read `Expected `key` to be <what>`: shared by the schema and the rule modules.
// Every number is bounded: a value past its range is a typo or an attack on the config, and some (a timer past 2^31 ms,
// a typed array of 1e12 entries) would break `start` after `check` said yes.
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A number field whose error message says what was expected (used as `Expected \`key\` to be <expect>`). */
export function num(expect: string, refine: (n: z.ZodNumber, e: { error: string }) => z.ZodNumber = (n) => n) {
  return refine(z.number({ error: expect }), { error: expect });
}
/** A number in (0, max]. */
export const positive = (max = 1_000_000) => num(`a number > 0 and at most ${max}`, (n, e) => n.gt(0, e).max(max, e));
/** A number in [0, max]. */
export const nonNegative = (max = 1_000_000) => num(`a number from 0 to ${max}`, (n, e) => n.min(0, e).max(max, e));
/** A whole number in [min, max]. */
export const whole = (min: number, max: number) => num(`a whole number from ${min} to ${max}`, (n, e) => n.int(e).min(min, e).max(max, e));
/** A whole number in [1, max]. */
export const positiveInt = (max = 1_000_000) => whole(1, max);

/** Seconds in a day. */
export const DAY = 86400;

function durationText(sec: number): string {
  if (sec % (7 * DAY) === 0 && sec >= 7 * DAY) return `${sec / (7 * DAY)}w`;
  if (sec % DAY === 0) return `${sec / DAY}d`;
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

/** A duration from `min` to `max` seconds (default up to 30 days): a number, or a string such as `90s`, `10m`, `2h`. */
export function duration(min = 0.001, max = 30 * DAY) {
  const expect = `a duration such as 30s, 10m, 2h or 30d (or a number of seconds) from ${durationText(min)} to ${durationText(max)}`;
  return z
    .union([z.number(), z.string()], { error: expect })
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null || s <= 0 || s < min || s > max) {
        ctx.addIssue({ code: 'custom', message: expect });
        return z.NEVER;
      }
      return s;
    });
}
