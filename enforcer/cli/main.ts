// The `warden` command line: parses the command and its flags, runs it, and turns failures into clear exit codes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../config/load.js';
import { ApiError, DaemonDownError } from './api-client.js';
import { banRuleNames } from '../core/rules/registry.js';

import type { CommandContext } from './context.js';

export type { CommandContext };

type Options = NonNullable<ParseArgsConfig['options']>;
interface CommandSpec {
  summary: string;
  usage: string;
  options: Options;
  run: (ctx: CommandContext) => Promise<number>;
}

const configOpt: Options = { config: { type: 'string', short: 'c' } };
const json: Options = { json: { type: 'boolean' } };

const commands: Record<string, CommandSpec> = {
  start: {
    summary: 'run the daemon (poll nginx, detect, ban, serve the dashboard)',
    usage: 'warden start [--config FILE]',
    options: configOpt,
    run: async (ctx) => (await import('./commands/start.js')).runStart(ctx),
  },
  demo: {
    summary: 'one-minute demo: nginx with a small site, the enforcing daemon and dashboard; `demo attack` floods it',
    usage: 'warden demo [--port N | --fleet 3]  |  warden demo attack [--seconds 15] [--rate 200] [--ip 203.0.113.66]',
    options: { port: { type: 'string' }, fleet: { type: 'string' }, seconds: { type: 'string' }, rate: { type: 'string' }, ip: { type: 'string' } },
    run: async (ctx) => (await import('./commands/demo.js')).runDemoCommand(ctx),
  },
  check: {
    summary: 'validate a config file and exit',
    usage: 'warden check [--config FILE]',
    options: configOpt,
    run: async (ctx) => (await import('./commands/check.js')).runCheck(ctx),
  },
  status: {
    summary: 'what the running daemon sees now',
    usage: 'warden status [--config FILE] [--json]',
    options: { ...configOpt, ...json },
    run: async (ctx) => (await import('./commands/status.js')).runStatus(ctx),
  },
  bans: {
    summary: 'list active bans',
    usage: 'warden bans [--config FILE] [--json]',
    options: { ...configOpt, ...json },
    run: async (ctx) => (await import('./commands/bans.js')).runBans(ctx),
  },
  ban: {
    summary: 'ban an address or a network (203.0.113.0/24, 2001:db8::/64) now, or a whole list (one per line) in one batch',
    usage: 'warden ban IP|CIDR | --file LIST [--for 2h | --permanent] [--reason TEXT] [--config FILE]',
    options: { ...configOpt, for: { type: 'string' }, permanent: { type: 'boolean' }, reason: { type: 'string' }, file: { type: 'string' } },
    run: async (ctx) => (await import('./commands/ban.js')).runBan(ctx),
  },
  unban: {
    summary: 'lift a ban of an address or a network now',
    usage: 'warden unban IP|CIDR [--config FILE]',
    options: configOpt,
    run: async (ctx) => (await import('./commands/ban.js')).runUnban(ctx),
  },
  allow: {
    summary: 'the runtime allow-list: add (applied at once, lifts a ban), list, remove; kept in the database',
    usage: 'warden allow add IP|CIDR [--note TEXT] | warden allow list [--json] | warden allow remove IP|CIDR  [--config FILE]',
    options: { ...configOpt, ...json, note: { type: 'string' } },
    run: async (ctx) => (await import('./commands/allow.js')).runAllow(ctx),
  },
  history: {
    summary: 'ban history (from the daemon, or from the database when it is down); --ip CIDR: bans inside it, and prefix bans covering it; ' +
      '--alerts: what rules in mode alert (or learning) would have banned',
    usage: `warden history [--alerts] [--ip IP|CIDR] [--since 24h] [--rule ${banRuleNames().join('|')}] [--active] [--limit N] [--json|--csv] [--config FILE]`,
    options: {
      ...configOpt, ...json, ip: { type: 'string' }, since: { type: 'string' }, rule: { type: 'string' },
      active: { type: 'boolean' }, limit: { type: 'string' }, csv: { type: 'boolean' }, alerts: { type: 'boolean' },
    },
    run: async (ctx) => (await import('./commands/history.js')).runHistory(ctx),
  },
  replay: {
    summary: 'run an access log through the detector on simulated time and print what it would decide',
    usage: 'warden replay LOGFILE [--json] [--speed N] [--variant default|original] [--nginx-conf FILE] [--config FILE]',
    options: { ...configOpt, ...json, speed: { type: 'string' }, variant: { type: 'string' }, 'nginx-conf': { type: 'string' } },
    run: async (ctx) => (await import('./commands/replay.js')).runReplayCommand(ctx),
  },
  doctor: {
    summary: 'check the whole set-up and say exactly what to fix',
    usage: 'warden doctor [--config FILE] [--nginx PATH]',
    options: { ...configOpt, nginx: { type: 'string' } },
    run: async (ctx) => (await import('./commands/doctor.js')).runDoctor(ctx),
  },
  'nginx-check': {
    summary: 'list servers/locations whose own access_log makes them drop out of the count',
    usage: 'warden nginx-check [--file NGINX_T_OUTPUT] [--nginx PATH]',
    options: { file: { type: 'string' }, nginx: { type: 'string' } },
    run: async (ctx) => (await import('./commands/nginx-check.js')).runNginxCheck(ctx),
  },
  'hash-password': {
    summary: 'hash a dashboard password for api.password_hash (reads it from stdin)',
    usage: 'echo -n PASSWORD | warden hash-password',
    options: {},
    run: async (ctx) => (await import('./commands/hash-password.js')).runHashPassword(ctx),
  },
};

function usage(): string {
  const lines = ['usage: warden COMMAND [options]', '', 'commands:'];
  for (const [name, spec] of Object.entries(commands)) lines.push(`  ${name.padEnd(14)} ${spec.summary}`);
  lines.push('', 'Run `warden COMMAND --help` for its options.');
  return lines.join('\n');
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * @example process.exitCode = await main(['check', '--config', 'warden.yaml']);
 */
export async function main(argv: string[], io = { out: (l: string) => console.log(l), err: (l: string) => console.error(l) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const spec = commands[name];
  if (!spec) {
    io.err(`warden: unknown command \`${name}\`\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${spec.usage}\n\n${spec.summary}`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: spec.options, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`warden ${name}: ${(err as Error).message}\nusage: ${spec.usage}`);
    return 2;
  }
  try {
    return await spec.run({ flags: parsed.values as CommandContext['flags'], args: parsed.positionals, ...io });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`warden ${name}: invalid config:\n${err.message}`);
      return 78;
    }
    if (err instanceof DaemonDownError || err instanceof ApiError) {
      io.err(`warden ${name}: ${err.message}`);
      return 1;
    }
    io.err(`warden ${name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}

const isEntry = process.argv[1] && /(cli[\\/]main\.js|warden(\.mjs)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
