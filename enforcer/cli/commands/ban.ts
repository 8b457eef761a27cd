// `warden ban IP` and `warden unban IP`: manual actions through the running daemon's API.
import type { CommandContext } from '../main.js';
import { resolveConfig } from '../config-path.js';
import { callApi } from '../api-client.js';

/** Runs `warden ban IP [--for 2h | --permanent] [--reason TEXT]`. */
export async function runBan(ctx: CommandContext): Promise<number> {
  const ip = ctx.args[0];
  if (!ip || ctx.args.length > 1) {
    ctx.err('warden ban: give exactly one IP address, e.g. `warden ban 203.0.113.9 --for 2h`');
    return 2;
  }
  if (ctx.flags.permanent && ctx.flags.for) {
    ctx.err('warden ban: give either --for or --permanent, not both');
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const duration = ctx.flags.permanent ? 'permanent' : ((ctx.flags.for as string | undefined) ?? '10m');
  const reason = (ctx.flags.reason as string | undefined) ?? 'manual ban from the CLI';
  const r = await callApi<{ ban?: { until: number | null } }>(config, 'POST', '/api/v1/bans', { ip, duration, reason });
  ctx.out(`banned ${ip} ${duration === 'permanent' ? 'permanently' : `for ${duration}`}${r.ban?.until ? ` (until ${new Date(r.ban.until * 1000).toISOString()})` : ''}`);
  return 0;
}

/** Runs `warden unban IP`. */
export async function runUnban(ctx: CommandContext): Promise<number> {
  const ip = ctx.args[0];
  if (!ip || ctx.args.length > 1) {
    ctx.err('warden unban: give exactly one IP address');
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  await callApi(config, 'DELETE', `/api/v1/bans/${encodeURIComponent(ip)}`);
  ctx.out(`unbanned ${ip}`);
  return 0;
}
