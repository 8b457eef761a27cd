// Finds the config file a command uses (--config F, else $WARDEN_CONFIG, else ./warden.yaml, else the defaults) and
// where the daemon's files live.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

/** The config file a command uses, or undefined for the built-in defaults. */
export function findConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return resolve(flag);
  if (env.WARDEN_CONFIG) return resolve(env.WARDEN_CONFIG);
  const local = resolve('warden.yaml');
  return existsSync(local) ? local : undefined;
}

/**
 * Finds, loads and validates the config (relative storage paths are taken from the config file's folder: loadConfig).
 * @example const { config, path } = resolveConfig('/etc/nginx-warden/warden.yaml');
 */
export function resolveConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: Config; path?: string } {
  const path = findConfigPath(flag, env);
  return { config: loadConfig(path, env), path };
}

/**
 * Where the daemon writes the token the local CLI uses (next to the database, mode 0600).
 * @example cliTokenPath(config) // '/var/lib/nginx-warden/cli.token'
 */
export function cliTokenPath(config: Config): string {
  return join(dirname(config.storage.database), 'cli.token');
}
