// The compact text form of one node's counts for one second, as published to Valkey (docs/fleet.md, "Counts").
// Generic over the Counts tuple: every field present is written, so new signals travel without a format change.
import type { Counts, SecondBucket } from '../types.js';

/**
 * Encodes a bucket's counts: the first line is the global counts, then one `KEY c0,c1,...` line per client.
 * Trailing zero fields are left out (`1` for one plain request), so the common client costs its key plus 2 bytes.
 * @example encodeCounts({ t: 5, global: [3, 1, 0], ips: { '203.0.113.9': [3, 1, 0] } }) === '3,1\n203.0.113.9 3,1'
 */
export function encodeCounts(bucket: SecondBucket): string {
  const parts: string[] = [countsText(bucket.global)];
  for (const key in bucket.ips) parts.push(`${key} ${countsText(bucket.ips[key])}`);
  return parts.join('\n');
}

/** `c0,c1,...` without trailing zeros (at least the first field). */
function countsText(c: Counts): string {
  let n = c.length;
  while (n > 1 && !(c[n - 1]! > 0)) n--;
  let s = String(c[0] > 0 ? Math.floor(c[0]) : 0);
  for (let i = 1; i < n; i++) s += `,${c[i]! > 0 ? Math.floor(c[i]!) : 0}`;
  return s;
}

/** Parses `c0,c1,...` into Counts with at least three fields; null when not non-negative whole numbers. */
function parseCounts(s: string): Counts | null {
  const f = s.split(',');
  if (f.length > 16) return null;
  const out: number[] = [];
  for (const x of f) {
    if (!/^\d{1,12}$/.test(x)) return null;
    out.push(Number(x));
  }
  while (out.length < 3) out.push(0);
  return out as unknown as Counts;
}

/**
 * Decodes what encodeCounts wrote, for second `t`. Malformed lines are skipped (a node is trusted with counts, not with
 * decisions; the engine checks keys again), and the number skipped is returned.
 * @example decodeCounts(5, '3,1\n203.0.113.9 3,1').bucket.ips['203.0.113.9'] // [3, 1, 0]
 */
export function decodeCounts(t: number, text: string): { bucket: SecondBucket; skipped: number } {
  const lines = text.split('\n');
  const global = parseCounts(lines[0] ?? '') ?? ([0, 0, 0] as Counts);
  const ips: Record<string, Counts> = Object.create(null) as Record<string, Counts>;
  let skipped = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const sp = line.indexOf(' ');
    const c = sp > 0 && sp <= 64 ? parseCounts(line.slice(sp + 1)) : null;
    if (!c) {
      if (line) skipped++;
      continue;
    }
    ips[line.slice(0, sp)] = c;
  }
  return { bucket: { t, global, ips }, skipped };
}
