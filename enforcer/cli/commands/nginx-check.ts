// `warden nginx-check`: reads `nginx -T` (or a saved copy) and lists blocks whose own access_log escapes the count.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { CommandContext } from '../context.js';
import { checkAccessLogs } from '../../nginx/access-log-check.js';

/** The full configuration as `nginx -T` prints it; throws with what to do when nginx cannot be run. */
export function nginxDump(nginx: string): string {
  try {
    return execFileSync(nginx, ['-T'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
  } catch (err) {
    const e = err as { stderr?: string; code?: string; message: string };
    if (e.code === 'ENOENT') throw new Error(`\`${nginx}\` not found: pass --nginx /path/to/nginx, or --file with saved \`nginx -T\` output`, { cause: err });
    throw new Error(`\`${nginx} -T\` failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
}

/** Runs `warden nginx-check`. Exit 0 when every block is counted, 1 when some are not. */
export async function runNginxCheck(ctx: CommandContext): Promise<number> {
  const text = ctx.flags.file ? readFileSync(String(ctx.flags.file), 'utf8') : nginxDump((ctx.flags.nginx as string | undefined) ?? 'nginx');
  const warnings = checkAccessLogs(text);
  if (warnings.length === 0) {
    ctx.out('nginx-check: OK: no server or location escapes the warden count');
    return 0;
  }
  for (const w of warnings) ctx.out(`${w.file}:${w.line}: ${w.context}: ${w.message}`);
  ctx.out(`nginx-check: ${warnings.length} block(s) will not be counted; add the warden \`if=\` condition to their access_log (see nginx.conf)`);
  return 1;
}
