// `warden ban IP|CIDR` and `warden unban IP|CIDR`: manual actions through the running daemon's API.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { callApi } from '../api-client.js';

/** The addresses (or CIDRs) of a block list: one per line; blank lines and `#` comments ignored; a line's first word counts. */
export function readBlockList(text: string): string[] {
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim().split(/[\s,;]+/)[0]).filter((l) => l.length > 0);
}

/** Runs `warden ban --file LIST`: one bulk request (and one firewall batch) per 50,000 addresses. */
async function runBanFile(ctx: CommandContext, file: string): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    ctx.err(`warden ban: cannot read ${file}: ${(err as Error).message}`);
    return 2;
  }
  const ips = readBlockList(text);
  if (ips.length === 0) {
    ctx.err(`warden ban: ${file} holds no addresses`);
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const duration = ctx.flags.permanent ? 'permanent' : ((ctx.flags.for as string | undefined) ?? '10m');
  const reason = (ctx.flags.reason as string | undefined) ?? `bulk ban from ${file}`;
  let banned = 0;
  const refused: Array<{ ip: string; error: string }> = [];
  for (let i = 0; i < ips.length; i += 50_000) {
    const r = await callApi<{ banned: number; refused: Array<{ ip: string; error: string }> }>(config, 'POST', '/api/v1/bans/bulk',
      { ips: ips.slice(i, i + 50_000), duration, reason });
    banned += r.banned;
    refused.push(...r.refused);
  }
  ctx.out(`banned ${banned} of ${ips.length} address(es) ${duration === 'permanent' ? 'permanently' : `for ${duration}`}`);
  for (const r of refused.slice(0, 20)) ctx.out(`  refused ${r.ip}: ${r.error}`);
  if (refused.length > 20) ctx.out(`  ... and ${refused.length - 20} more refused`);
  return 0;
}

/** Runs `warden ban IP|CIDR [--for 2h | --permanent] [--reason TEXT]` or `warden ban --file LIST`. */
export async function runBan(ctx: CommandContext): Promise<number> {
  if (ctx.flags.file) {
    if (ctx.args.length) {
      ctx.err('warden ban: give either an IP (or CIDR) or --file, not both');
      return 2;
    }
    return runBanFile(ctx, String(ctx.flags.file));
  }
  const ip = ctx.args[0];
  if (!ip || ctx.args.length > 1) {
    ctx.err('warden ban: give exactly one IP address or CIDR, e.g. `warden ban 203.0.113.9 --for 2h` or `warden ban 2001:db8:1:2::/64`');
    return 2;
  }
  if (ctx.flags.permanent && ctx.flags.for) {
    ctx.err('warden ban: give either --for or --permanent, not both');
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  const duration = ctx.flags.permanent ? 'permanent' : ((ctx.flags.for as string | undefined) ?? '10m');
  const reason = (ctx.flags.reason as string | undefined) ?? 'manual ban from the CLI';
  const r = await callApi<{ ban?: { ip: string; until: number | null } }>(config, 'POST', '/api/v1/bans', { ip, duration, reason });
  ctx.out(`banned ${r.ban?.ip ?? ip} ${duration === 'permanent' ? 'permanently' : `for ${duration}`}${r.ban?.until ? ` (until ${new Date(r.ban.until * 1000).toISOString()})` : ''}`);
  return 0;
}

/** Runs `warden unban IP|CIDR`. */
export async function runUnban(ctx: CommandContext): Promise<number> {
  const ip = ctx.args[0];
  if (!ip || ctx.args.length > 1) {
    ctx.err('warden unban: give exactly one IP address or CIDR');
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  await callApi(config, 'DELETE', `/api/v1/bans/${encodeURIComponent(ip)}`);
  ctx.out(`unbanned ${ip}`);
  return 0;
}
