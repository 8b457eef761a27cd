// Finds and loads the config for a CLI command: --config F, else $WARDEN_CONFIG, else ./warden.yaml, else the defaults.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

/** The config file a command uses, or undefined for the built-in defaults. */
export function findConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return resolve(flag);
  if (env.WARDEN_CONFIG) return resolve(env.WARDEN_CONFIG);
  const local = resolve('warden.yaml');
  return existsSync(local) ? local : undefined;
}

/**
 * Loads and validates the config; relative storage paths are taken from the config file's folder.
 * @example const { config, path } = resolveConfig('/etc/nginx-warden/warden.yaml');
 */
export function resolveConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): { config: Config; path?: string } {
  const path = findConfigPath(flag, env);
  const config = loadConfig(path, env);
  const base = path ? dirname(path) : process.cwd();
  const abs = (p: string) => (p === ':memory:' || isAbsolute(p) ? p : resolve(base, p));
  config.storage.database = abs(config.storage.database);
  config.storage.audit_log = abs(config.storage.audit_log);
  return { config, path };
}
