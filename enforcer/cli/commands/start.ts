// `warden start`: runs the daemon in the foreground until SIGTERM/SIGINT; SIGHUP reopens the audit log (logrotate).
import type { CommandContext } from '../context.js';
import { resolveConfig } from '../../config/find.js';
import { BackendUnavailableError } from '../../adapters/firewall/port.js';

/** Runs `warden start`. Startup errors (config, backend, port in use) exit non-zero with the reason. */
export async function runStart(ctx: CommandContext): Promise<number> {
  const { config, path } = resolveConfig(ctx.flags.config as string | undefined);
  // Loaded after the config is known to be valid, so a config error is reported before anything starts.
  const { startDaemon } = await import('../../daemon/daemon.js');
  let daemon;
  try {
    daemon = await startDaemon(config, { configPath: path });
  } catch (err) {
    if (err instanceof BackendUnavailableError) {
      ctx.err(`warden start: ${err.message}`);
      return 69;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      ctx.err(`warden start: cannot listen on ${config.api.listen} (\`api.listen\`): ${e.code === 'EADDRINUSE' ? 'address already in use' : 'permission denied'}`);
      return 71;
    }
    throw err;
  }
  ctx.out(`warden: running${config.dry_run ? ' in DRY-RUN mode (nothing is enforced)' : ''}; dashboard and API at ${daemon.apiUrl}`);
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      ctx.out(`warden: ${sig}: stopping (active bans stay in place)`);
      daemon.stop().then(() => resolve(0), (err: Error) => {
        ctx.err(`warden: error while stopping: ${err.message}`);
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      daemon.reopenLogs();
      ctx.out('warden: SIGHUP: audit log reopened');
    });
  });
}
