// `warden allow add|list|remove`: the runtime allow-list through the running daemon's API (applied at once, audited).
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { callApi } from '../api-client.js';
import type { AllowAddResponse, AllowListResponse } from '../../api/types.js';

const USAGE = 'warden allow add IP|CIDR [--note TEXT] | warden allow list [--json] | warden allow remove IP|CIDR';

/**
 * Runs `warden allow add IP|CIDR [--note TEXT]`, `warden allow list [--json]` or `warden allow remove IP|CIDR`.
 * @example await runAllow({ args: ['add', '198.51.100.4'], flags: { note: 'sync client' }, out, err }) // 0
 */
export async function runAllow(ctx: CommandContext): Promise<number> {
  const [sub, target, ...extra] = ctx.args;
  const want = sub === 'list' ? 0 : 1;
  if (!sub || !['add', 'list', 'remove'].includes(sub) || (want === 1 && !target) || (want === 0 && target) || extra.length) {
    ctx.err(`warden allow: expected one of add, list, remove${sub && !['add', 'list', 'remove'].includes(sub) ? `, got \`${sub}\`` : ''}\nusage: ${USAGE}`);
    return 2;
  }
  if (ctx.flags.note !== undefined && sub !== 'add') {
    ctx.err('warden allow: --note goes with add only');
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  if (sub === 'list') {
    const r = await callApi<AllowListResponse>(config, 'GET', '/api/v1/allow');
    if (ctx.flags.json) {
      for (const e of r.entries) ctx.out(JSON.stringify(e));
      return 0;
    }
    ctx.out(`${'ADDRESS OR NETWORK'.padEnd(40)} ${'SOURCE'.padEnd(8)} ${'ADDED'.padEnd(20)} NOTE`);
    for (const e of r.entries) {
      const added = e.created_at ? new Date(e.created_at * 1000).toISOString().replace('.000Z', 'Z') : '-';
      ctx.out(`${e.cidr.padEnd(40)} ${(e.source === 'api' ? 'runtime' : e.source).padEnd(8)} ${added.padEnd(20)} ${e.note}`);
    }
    return 0;
  }
  if (sub === 'add') {
    const note = ctx.flags.note === undefined ? 'added with warden allow add' : String(ctx.flags.note);
    const r = await callApi<AllowAddResponse>(config, 'POST', '/api/v1/allow', { cidr: target, note });
    ctx.out(`allow-listed ${r.cidr}${r.lifted.length ? `; lifted the ban of ${r.lifted.join(', ')}` : ''}`);
    return 0;
  }
  await callApi(config, 'DELETE', `/api/v1/allow/${encodeURIComponent(target)}`);
  ctx.out(`removed ${target.trim()} from the allow-list`);
  return 0;
}
