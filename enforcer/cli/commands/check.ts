// `warden check`: validates a config (and its allow-list) and prints a short summary; a bad one exits non-zero.
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { formatDuration } from '../../config/duration.js';

/** Runs `warden check`. Exit 0 when valid, 78 (via ConfigError) when not. */
export async function runCheck(ctx: CommandContext): Promise<number> {
  const { config, path } = resolveConfig(ctx.flags.config as string | undefined);
  const d = config.detection;
  ctx.out(`config OK: ${path ?? '(built-in defaults)'}`);
  ctx.out(`  mode:       ${config.dry_run ? 'dry-run (decide, log, alert; never enforce)' : 'enforcing'} via ${config.enforcement.backends.join(' + ')}`);
  ctx.out(`  detection:  z > ${d.zscore} or rate > ${d.multiplier}x mean over ${d.window}s; floors mean ${d.mean_floor}/s, stddev ${d.stddev_floor}`);
  ctx.out(`  ladder:     ${config.bans.ladder.map((s) => formatDuration(s)).join(' -> ')}`);
  ctx.out(`  allow-list: loopback${config.allow_self ? ', host addresses' : ''}${config.allowlist.length ? `, ${config.allowlist.join(', ')}` : ''}`);
  ctx.out(`  nginx:      ${config.nginx.url}   api: ${config.api.listen}   db: ${config.storage.database}`);
  return 0;
}
