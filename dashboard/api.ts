// The dashboard's client for the JSON API: session cookie, CSRF token, errors as HttpError.

let csrf = sessionStorage.getItem('warden-csrf') ?? '';

/** Keeps the CSRF token for this tab. */
export function setCsrf(token: string): void {
  csrf = token;
  if (token) sessionStorage.setItem('warden-csrf', token);
  else sessionStorage.removeItem('warden-csrf');
}

/** The CSRF token this tab holds ('' before login). */
export function getCsrf(): string {
  return csrf;
}

/** A refusal from the API, with its status and reason. */
export class HttpError extends Error {
  constructor(public status: number, message: string) { super(message); }
}

/** Calls the JSON API with the session cookie and the CSRF header; a 401 reloads to the login page. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-warden-csrf'] = csrf;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const data = await res.json().catch(() => ({})) as { error?: string };
  if (res.status === 401 && !path.endsWith('/login')) {
    location.reload();
  }
  if (!res.ok) throw new HttpError(res.status, data.error ?? `HTTP ${res.status}`);
  return data as T;
}
