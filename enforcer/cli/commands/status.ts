// `warden status` and `warden bans`: what the running daemon sees, from its API.
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { callApi } from '../api-client.js';
import { formatDuration } from '../../config/duration.js';
import type { StatusResponse } from '../../api/types.js';
import { maxOf } from '../../core/arrays.js';

/** Runs `warden status`. */
export async function runStatus(ctx: CommandContext): Promise<number> {
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const s = await callApi<StatusResponse>(config, 'GET', '/api/v1/status');
  if (ctx.flags.json) {
    ctx.out(JSON.stringify(s, null, 2));
    return 0;
  }
  const b = s.baseline;
  ctx.out(`nginx:     ${s.nginx?.reachable ? 'reachable' : `UNREACHABLE${s.nginx?.lastError ? ` (${s.nginx.lastError})` : ''}`}${s.dryRun ? '   [dry-run]' : ''}`);
  ctx.out(`uptime:    ${s.uptimeSec !== undefined ? formatDuration(Math.round(s.uptimeSec)) : '?'}`);
  ctx.out(`rate:      ${s.globalRate.toFixed(2)} req/s   baseline ${b.mean.toFixed(2)} ± ${b.stddev.toFixed(2)} (${b.source}${b.hour !== undefined ? ` ${b.hour}h` : ''})`);
  if (s.rules) {
    ctx.out(`rules:${s.banRate !== undefined && Number.isFinite(s.banRate) ? `     (an IP is banned above ${s.banRate.toFixed(2)} req/s over the window)` : ''}`);
    const w = maxOf(s.rules.map((r) => r.name.length));
    for (const r of s.rules) ctx.out(`  ${r.name.padEnd(w)}  ${r.mode.padEnd(5)}  ${r.thresholds}`);
  } else {
    ctx.out(`rules:     z > ${s.thresholds.zscore} or > ${s.thresholds.multiplier}x mean${s.banRate !== undefined ? `  (an IP is banned above ${s.banRate.toFixed(2)} req/s)` : ''}`);
  }
  ctx.out(`bans:      ${s.activeBanCount ?? s.activeBans.length} active   dropped counts: ${s.dropped?.total ?? 0}`);
  if (s.fleet) {
    const f = s.fleet;
    ctx.out(`fleet:     ${f.connected ? 'connected' : 'UNREACHABLE (detecting alone, decisions queued)'} ${f.url} as ${f.node} (${f.role})` +
      `   lag p99 ${f.lagP99Ms ?? '-'} ms   clock offset ${f.clockOffsetMs} ms${f.queued ? `   ${f.queued} queued` : ''}${f.refused ? `   ${f.refused} refused` : ''}`);
    for (const n of f.nodes) {
      ctx.out(`  ${n.node.padEnd(24)} ${(n.stale ? `${n.role} (stale)` : n.role).padEnd(18)} seen ${(n.lastSeenMs / 1000).toFixed(1)} s ago   lag ${n.lagMs ?? '-'} ms   ${n.rate.toFixed(1)} req/s`);
    }
  }
  if (s.topIps.length) {
    ctx.out('top IPs (last window):');
    for (const t of s.topIps) ctx.out(`  ${t.ip.padEnd(40)} ${t.rate.toFixed(2).padStart(9)} req/s   errors ${t.errorRate.toFixed(2)}/s`);
  }
  return 0;
}

/** Runs `warden bans`. */
export async function runBans(ctx: CommandContext): Promise<number> {
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const { bans } = await callApi<{ bans: StatusResponse['activeBans'] }>(config, 'GET', '/api/v1/bans');
  const now = Date.now() / 1000;
  if (ctx.flags.json) {
    ctx.out(JSON.stringify(bans, null, 2));
    return 0;
  }
  if (bans.length === 0) {
    ctx.out('no active bans');
    return 0;
  }
  ctx.out(`${'IP'.padEnd(40)} ${'RULE'.padEnd(10)} ${'RATE'.padStart(9)} STEP  TIME LEFT`);
  for (const b of bans) {
    const left = b.until === null ? 'permanent' : formatDuration(Math.max(0, Math.round(b.until - now)));
    ctx.out(`${b.ip.padEnd(40)} ${b.rule.padEnd(10)} ${b.rate.toFixed(2).padStart(9)} ${String(b.step).padStart(4)}  ${left}`);
  }
  return 0;
}
