// `warden replay LOGFILE`: runs an access log through the same detection core on simulated time.
import { existsSync } from 'node:fs';
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { runReplay } from '../../replay/run-replay.js';

/** Runs `warden replay LOGFILE [--json] [--speed N] [--variant default|original] [--nginx-conf FILE]`. */
export async function runReplayCommand(ctx: CommandContext): Promise<number> {
  const file = ctx.args[0];
  if (!file || ctx.args.length > 1) {
    ctx.err('warden replay: give exactly one access log file, e.g. `warden replay /var/log/nginx/access.log`');
    return 2;
  }
  if (!existsSync(file)) {
    ctx.err(`warden replay: no such file: ${file}`);
    return 2;
  }
  let speed: number | undefined;
  if (ctx.flags.speed !== undefined) {
    speed = Number(ctx.flags.speed);
    if (!Number.isFinite(speed) || speed <= 0) {
      ctx.err(`warden replay: --speed expects a number > 0 (log seconds per simulated second), got \`${ctx.flags.speed}\``);
      return 2;
    }
  }
  const variant = (ctx.flags.variant as string | undefined) ?? 'default';
  if (variant !== 'default' && variant !== 'original') {
    ctx.err(`warden replay: --variant expects default or original, got \`${variant}\``);
    return 2;
  }
  const { config } = resolveConfig(ctx.flags.config as string | undefined);
  // The path maps nginx classifies with: the installed include if there is one, else this package's nginx.conf.
  const nginxConf = (ctx.flags['nginx-conf'] as string | undefined)
    ?? (existsSync('/etc/nginx/warden/nginx.conf') ? '/etc/nginx/warden/nginx.conf' : undefined);
  try {
    await runReplay({ file, json: ctx.flags.json === true, config, speed, variant, nginxConf, out: ctx.out });
  } catch (err) {
    ctx.err(`warden replay: ${(err as Error).message}`);
    return 2;
  }
  return 0;
}
