// The soak's consistency snapshot: the active bans in SQLite, ipset, the nginx ban dict and the API, with their end
// times, compared. A ban expiring in the middle of a snapshot shows as a difference, so a snapshot that differs is
// taken again (up to `tries` times, 1.5 s apart).
import Database from 'better-sqlite3';
import type { TestNetwork } from '../../test/harness/netns.js';
import { nextTimestamp } from '../../test/harness/signed-fetch.js';
import { answerSignature, signRequest } from '../../enforcer/adapters/nginx-internal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What one snapshot found. */
export interface Snapshot { ok: boolean; detail: string; active: number }

/** Where the four views of the bans are read from. */
export interface BanViews {
  net: TestNetwork;
  /** The daemon's database file (opened read-only for each snapshot). */
  dbPath: string;
  /** The ipset set names' prefix (the config's enforcement.name). */
  setName: string;
  /** nginx's internal listener, e.g. http://127.0.0.1:9181. */
  internalUrl: string;
  /** The warden secret nginx includes (GET /bans needs it). */
  secret: string;
  /** GET on the daemon's API (null when it did not answer). */
  api: <T>(path: string) => T | null;
}

/**
 * Returns the snapshot function for these views.
 * @example const consistent = banSnapshots({ net, dbPath, setName: 'wdsoak', internalUrl, api }); (await consistent(4)).ok
 */
export function banSnapshots(v: BanViews): (tries: number) => Promise<Snapshot> {
  const ipsetNow = (): Map<string, number | null> => {
    const m = new Map<string, number | null>();
    const now = Math.floor(Date.now() / 1000);
    for (const l of v.net.exec(v.net.serverNs, 'ipset', ['save']).split('\n')) {
      const f = l.split(' ');
      if (f[0] !== 'add' || !f[1].startsWith(v.setName)) continue;
      const ti = f.indexOf('timeout');
      const secs = ti > 0 ? Number(f[ti + 1]) : 0;
      m.set(f[2], secs > 0 ? now + secs : null);
    }
    return m;
  };
  const dictNow = (): Map<string, number> | null => {
    // Signed as the daemon signs (the secret itself is never sent), and only an answer signed by nginx is read.
    const s = signRequest(v.secret, 'GET', '/bans', 'soak', nextTimestamp(), '');
    const r = v.net.tryExec(v.net.serverNs, 'curl', ['-sf', '-m', '3', '-i', '-H', `X-Warden-Auth: ${s.header}`, `${v.internalUrl}/bans`]);
    if (r.status !== 0) return null;
    const cut = r.stdout.indexOf('\r\n\r\n');
    const head = r.stdout.slice(0, cut);
    const body = r.stdout.slice(cut + 4);
    const got = /^x-warden-auth:\s*([0-9a-f]+)/im.exec(head)?.[1];
    if (got !== answerSignature(v.secret, s.sig, 200, body)) return null;
    return new Map((JSON.parse(body) as { bans: Array<{ ip: string; until: number }> }).bans.map((b) => [b.ip, b.until]));
  };
  return async (tries) => {
    let last: Snapshot = { ok: false, detail: '', active: 0 };
    for (let attempt = 0; attempt < tries && !last.ok; attempt++) {
      if (attempt) await sleep(1500);
      const db = new Database(v.dbPath, { readonly: true, fileMustExist: true });
      const dbActive = new Map((db.prepare('SELECT ip, planned_end FROM bans WHERE ended_at IS NULL').all() as Array<{ ip: string; planned_end: number | null }>)
        .map((r) => [r.ip, r.planned_end]));
      db.close();
      const ips = ipsetNow();
      const dict = dictNow();
      const apiBans = v.api<{ bans: Array<{ ip: string }> }>('/api/v1/bans');
      const key = (xs: Iterable<string>) => [...xs].sort().join(',');
      const want = key(dbActive.keys());
      const untilOff = [...dbActive].filter(([ip, end]) => {
        const d = dict?.get(ip);
        const s = ips.get(ip);
        return d !== (end ?? 0) || (end === null ? s !== null : s == null || Math.abs(s - end) > 2);
      });
      const ok = dict !== null && apiBans !== null && key(ips.keys()) === want && key(dict.keys()) === want &&
        key(apiBans.bans.map((b) => b.ip)) === want && untilOff.length === 0;
      last = { ok, active: dbActive.size, detail: `${dbActive.size} active in SQLite [${want}]; ipset ${ips.size}` +
        `${key(ips.keys()) !== want ? ` [${key(ips.keys())}]` : ''}; nginx dict ${dict?.size ?? 'unreachable'}` +
        `${dict && key(dict.keys()) !== want ? ` [${key(dict.keys())}]` : ''}; API ${apiBans?.bans.length ?? 'unreachable'}` +
        `${untilOff.length ? `; end times differ for ${untilOff.map(([ip]) => ip).join(',')}` : '; end times agree'}${attempt ? ` (attempt ${attempt + 1})` : ''}` };
    }
    return last;
  };
}
