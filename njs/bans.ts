// The ban dict (warden_bans): address or IPv6 prefix (canonical CIDR) -> until (epoch s, 0 = permanent); checked per request by $warden_banned.
import { normaliseBanKey } from './address.js';

// The per-request check ($warden_banned) is inline in index.ts: an entry bans while until = 0 or until * 1000 > now.

/** One active ban as GET /bans lists it. */
export interface BanEntry {
  ip: string;
  until: number;
}

/**
 * Active bans; expired ones are deleted on the way.
 * @example listBans(bans, Date.now()) // [{ ip: '1.2.3.4', until: 0 }]
 */
export function listBans(bans: NgxSharedDict<number>, nowMs: number): BanEntry[] {
  const out: BanEntry[] = [];
  const items = bans.items(1 << 30);
  for (let i = 0; i < items.length; i++) {
    const ip = items[i][0];
    const until = items[i][1];
    if (until !== 0 && until * 1000 <= nowMs) bans.delete(ip);
    else out.push({ ip: ip, until: until });
  }
  return out;
}

/** The POST /bans body. */
export interface BanChange {
  add?: Array<{ ip: string; until?: number | null }>;
  remove?: string[];
}

/** The POST /bans answer. */
export interface BanChangeResult {
  added: number;
  removed: number;
  failed: Array<{ ip: string; error: string }>;
}

/**
 * Applies adds and removes; a bad address or prefix, or a full zone, fails that item only. Keys are addresses or IPv6
 * prefixes of exactly `prefix` bits in canonical CIDR form (the only prefixes the per-request check looks up).
 * @example changeBans(bans, { add: [{ ip: '2001:db8:1:2::/64', until: 0 }], remove: ['5.6.7.8'] }, 64)
 */
export function changeBans(bans: NgxSharedDict<number>, body: BanChange, prefix: number): BanChangeResult {
  const bad = 'not an IP address, nor an IPv6 prefix of /' + prefix + ' ($warden_ipv6_prefix) in canonical form';
  const res: BanChangeResult = { added: 0, removed: 0, failed: [] };
  const add = body.add || [];
  for (let i = 0; i < add.length; i++) {
    const item = add[i] || { ip: '' };
    const ip = normaliseBanKey(item.ip, prefix);
    const until = item.until === undefined || item.until === null ? 0 : Number(item.until);
    if (ip === '') {
      res.failed.push({ ip: String(item.ip), error: bad });
      continue;
    }
    if (!isFinite(until) || until < 0) {
      res.failed.push({ ip: ip, error: 'until must be epoch seconds >= 0 (0 = permanent)' });
      continue;
    }
    try {
      bans.set(ip, until);
      res.added++;
    } catch (e) {
      res.failed.push({ ip: ip, error: 'zone warden_bans: ' + String(e) });
    }
  }
  const remove = body.remove || [];
  for (let i = 0; i < remove.length; i++) {
    const ip = normaliseBanKey(remove[i], prefix);
    if (ip === '') {
      res.failed.push({ ip: String(remove[i]), error: bad });
      continue;
    }
    if (bans.delete(ip)) res.removed++;
  }
  return res;
}
