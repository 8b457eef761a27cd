// The CLI's client for the running daemon's HTTP API (bearer token from $WARDEN_TOKEN, config, or the daemon's cli.token file).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { cliTokenPath } from '../config/find.js';

/** The daemon could not be reached at all (it is probably not running). */
export class DaemonDownError extends Error {
  constructor(url: string, options?: { cause?: unknown }) {
    super(`the warden daemon is not answering at ${url} (is it running? start it with \`warden start\`)`, options);
    this.name = 'DaemonDownError';
  }
}

/** The API refused a request; `message` is its reason. */
export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Base URL of the API from `api.listen`. */
export function apiBaseUrl(config: Config): string {
  let host = config.api.listen.replace(/:(\d+)$/, '');
  const port = config.api.listen.slice(host.length + 1);
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '[::1]';
  return `http://${host}:${port}`;
}

function token(config: Config, env: NodeJS.ProcessEnv): string | undefined {
  if (env.WARDEN_TOKEN) return env.WARDEN_TOKEN;
  if (config.api.tokens.length > 0) return config.api.tokens[0];
  try {
    return readFileSync(cliTokenPath(config), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Calls the API and returns the parsed JSON (or text for non-JSON answers).
 * @example const status = await callApi(config, 'GET', '/api/v1/status');
 */
export async function callApi<T = unknown>(config: Config, method: string, path: string, body?: unknown,
  env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const base = apiBaseUrl(config);
  const headers: Record<string, string> = { accept: 'application/json' };
  const tok = token(config, env);
  if (tok) headers.authorization = `Bearer ${tok}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new DaemonDownError(base, { cause: err });
  }
  const text = await res.text();
  let data: unknown = text;
  try {
    data = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const reason = data && typeof data === 'object' && 'error' in data ? String((data as { error: unknown }).error) : text;
    throw new ApiError(res.status, `${method} ${path}: HTTP ${res.status}: ${reason}`);
  }
  return data as T;
}
