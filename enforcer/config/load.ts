// Loads the config file (YAML or JSON), fills ${ENV} references, validates it, and explains any error by key.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { currentConfigSchema, type Config } from './schema.js';

/** A config that cannot be used; `message` names the key, what was expected and what was found. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The value at `path` inside `obj`, or undefined. */
function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** Hides the password of any URL in `s` (a fleet URL carries one): `redis://u:***@host`. */
export function redactUrls(s: string): string {
  return s.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*:)[^@\s"]*@/gi, '$1***@');
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = redactUrls(JSON.stringify(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Keys earlier versions accepted, with what to do instead (shown with the unknown-key error). */
const REMOVED_KEYS: Record<string, string> = {
  'enforcement.nginx_status': 'removed (nothing read it); the answer to a banned client is set in nginx-server.conf (`return 403;` or `return 444;`)',
};

/** One line per problem, e.g. ``Expected `detection.zscore` to be a number > 0, got `"abc"` ``. */
export function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string[] {
  return issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const where = key ? `${key}.` : '';
      return issue.keys.map((k) => {
        const hint = REMOVED_KEYS[`${where}${k}`];
        return `Unknown key \`${where}${k}\` in config${hint ? `: ${hint}` : ''}`;
      }).join('\n');
    }
    return `Expected \`${key}\` to be ${issue.message}, got \`${show(valueAt(input, issue.path))}\``;
  });
}

/** Keys that touch the prototype chain: an error wherever they appear. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Replaces `${NAME}` in every string with the environment variable NAME; a missing one is an error. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        throw new ConfigError(`Expected environment variable \`${name}\` (used by \`${path.join('.')}\`) to be set, got nothing`);
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Assigning `__proto__` would replace the object's prototype and the key would silently vanish.
      if (FORBIDDEN_KEYS.has(k)) throw new ConfigError(`Key \`${[...path, k].join('.')}\` is not allowed in config`);
      out[k] = substituteEnv(v, env, [...path, k]);
    }
    return out;
  }
  return value;
}

/**
 * Validates an already parsed config object.
 * @example parseConfig({ detection: { zscore: 2.5 } }).detection.zscore === 2.5
 */
export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): Config {
  const input = raw === null || raw === undefined ? {} : raw;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new ConfigError(`Expected the config to be a mapping of keys to values, got \`${show(input)}\``);
  }
  const withEnv = substituteEnv(input, env);
  const res = currentConfigSchema().safeParse(withEnv);
  if (!res.success) throw new ConfigError(formatIssues(res.error.issues, withEnv).join('\n'));
  return res.data as Config;
}

/**
 * Reads and validates a config file (`.json`, else YAML). A missing path gives the defaults. Relative storage paths
 * are taken from the config file's folder (from the working folder for the defaults), so every caller — the CLI,
 * `startDaemon(loadConfig(...))`, the demo — finds the same files.
 * @example loadConfig('/etc/nginx-warden/warden.yaml').storage.database // '/etc/nginx-warden/var/warden.db' for `var/warden.db`
 */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const config = readConfig(path, env);
  const base = path ? dirname(resolve(path)) : process.cwd();
  const abs = (p: string) => (p === ':memory:' || isAbsolute(p) ? p : resolve(base, p));
  config.storage.database = abs(config.storage.database);
  config.storage.audit_log = abs(config.storage.audit_log);
  config.nginx.secret_file = abs(config.nginx.secret_file);
  return config;
}

function readConfig(path: string | undefined, env: NodeJS.ProcessEnv): Config {
  if (!path) return parseConfig({}, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file \`${path}\`: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`Config file \`${path}\` is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(raw, env);
}
