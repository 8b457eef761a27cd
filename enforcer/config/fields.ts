// Zod field builders whose error messages read `Expected `key` to be <what>`: shared by the schema and the rule modules.
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A number field whose error message says what was expected (used as `Expected \`key\` to be <expect>`). */
export function num(expect: string, refine: (n: z.ZodNumber, e: { error: string }) => z.ZodNumber = (n) => n) {
  return refine(z.number({ error: expect }), { error: expect });
}
export const positive = (expect = 'a number > 0') => num(expect, (n, e) => n.gt(0, e));
export const nonNegative = (expect = 'a number >= 0') => num(expect, (n, e) => n.min(0, e));
export const positiveInt = (expect = 'a whole number > 0') => num(expect, (n, e) => n.int(e).gt(0, e));

/** A duration: seconds as a number, or a string such as `90s`, `10m`, `2h`, `30d`. */
export function duration(expect = 'a duration such as 30s, 10m, 2h or 30d (or a number of seconds > 0)') {
  return z
    .union([z.number(), z.string()], { error: expect })
    .transform((v, ctx) => {
      const s = parseDuration(v);
      if (s === null || s <= 0) {
        ctx.addIssue({ code: 'custom', message: expect });
        return z.NEVER;
      }
      return s;
    });
}

