// The internal listener's routes: GET /counters, GET /bans, POST /bans, GET /status. Loopback clients only.
import { changeBans, listBans, type BanChange } from './bans.js';
import { META_DROPPED_TOTAL, type CountZones } from './count.js';
import { drain } from './drain.js';
import { setting } from './settings.js';

/** The zones the API serves. */
export interface ApiZones extends CountZones {
  bans: NgxSharedDict<number>;
}

/**
 * True for 127.0.0.0/8 and ::1 (also IPv4-mapped loopback).
 * @example isLoopback('127.0.0.1') // true
 */
export function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.lastIndexOf('127.', 0) === 0 || addr.lastIndexOf('::ffff:127.', 0) === 0;
}

function send(r: NginxHTTPRequest, status: number, body: unknown): void {
  r.headersOut['Content-Type'] = 'application/json';
  r.return(status, JSON.stringify(body));
}

function zoneInfo(z: NgxSharedDict<number>): { items: number; capacity: number; free: number } {
  return { items: z.size(), capacity: z.capacity, free: z.freeSpace() };
}

/**
 * Serves one request of the internal listener (js_content). Never throws: errors become a 500 JSON answer.
 * @example handleApi(r, { counts, meta, bans }, Date.now())
 */
export function handleApi(r: NginxHTTPRequest, z: ApiZones, nowMs: number): void {
  try {
    // The connection's own address: realip settings inherited from http{} must not let a header pass as loopback.
    const peer = r.variables.realip_remote_addr || r.remoteAddress;
    if (!isLoopback(peer)) return send(r, 403, { error: 'loopback only' });
    const path = r.uri;
    if (path === '/counters' && r.method === 'GET') {
      r.headersOut['Content-Type'] = 'application/json';
      return r.return(200, drain(z, nowMs, setting(r, 'warden_drain_max')));
    }
    if (path === '/bans' && r.method === 'GET') return send(r, 200, { bans: listBans(z.bans, nowMs) });
    if (path === '/bans' && r.method === 'POST') {
      let body: BanChange;
      try {
        body = JSON.parse(r.requestText || '');
      } catch (e) {
        return send(r, 400, { error: 'body is not JSON: ' + String(e) });
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) return send(r, 400, { error: 'body must be an object {add, remove}' });
      if (body.add !== undefined && !Array.isArray(body.add)) return send(r, 400, { error: '`add` must be an array' });
      if (body.remove !== undefined && !Array.isArray(body.remove)) return send(r, 400, { error: '`remove` must be an array' });
      return send(r, 200, changeBans(z.bans, body));
    }
    if (path === '/status' && r.method === 'GET') {
      const dt = z.meta.get(META_DROPPED_TOTAL);
      return send(r, 200, {
        njs: njs.version,
        nginx: r.variables.nginx_version || '',
        zones: { warden_counts: zoneInfo(z.counts), warden_bans: zoneInfo(z.bans), warden_meta: zoneInfo(z.meta) },
        dropped_total: typeof dt === 'number' ? dt : 0,
      });
    }
    return send(r, 404, { error: 'unknown endpoint: ' + r.method + ' ' + path });
  } catch (e) {
    send(r, 500, { error: String(e) });
  }
}
