// Authentication state for the API: the password, sessions with CSRF tokens, bearer tokens and the failed-login limiter.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/types.js';
import { hashPassword, isPasswordHash, verifyPassword } from './password.js';

/** How the API authenticates (from the `api` section of the config). */
export interface AuthOptions {
  /** scrypt hash from `warden hash-password`; empty: generate a password at first start and keep its hash in meta. */
  passwordHash: string;
  /** Bearer tokens accepted for scripts and the CLI. */
  tokens: string[];
  sessionTtlSec: number;
  /** Failed logins allowed per client address per minute; more answer 429. */
  loginAttemptsPerMinute: number;
  /** Told the generated password once (default: printed on stdout). */
  onGeneratedPassword?: (password: string) => void;
}

/** Meta key under which a generated password's hash is kept. */
export const META_PASSWORD_HASH = 'api.generated_password_hash';

/** A logged-in browser session. */
export interface Session {
  csrf: string;
  expiresAt: number;
  /** Client address that logged in. */
  addr: string;
}

/** Compares two secrets in constant time (whatever their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** The auth state of one app instance. */
export interface Auth {
  /** Resolves once the password hash is known (generated if needed). */
  ready: Promise<void>;
  checkPassword(pw: string): Promise<boolean>;
  /**
   * Counts a login attempt of the address before its password is checked (so concurrent attempts cannot race past
   * the limit); false when the address is over the limit and must not be checked at all.
   */
  loginAttempt(addr: string): boolean;
  /** Forgets the attempt counted for a login that succeeded (a right password never uses up the allowance). */
  loginSucceeded(addr: string): void;
  createSession(addr: string): { token: string; session: Session };
  session(token: string | undefined): Session | null;
  endSession(token: string | undefined): void;
  bearerValid(token: string): boolean;
}

/**
 * Builds the auth state: resolves the password hash (config, then stored meta, else a generated one) and keeps
 * sessions in memory (a daemon restart logs browsers out; bearer tokens keep working).
 * @example const auth = createAuth(opts, service, clock); await auth.ready;
 */
export function createAuth(opts: AuthOptions, meta: { getMeta(k: string): string | undefined; setMeta(k: string, v: string): void },
  clock: Clock): Auth {
  let hash = opts.passwordHash;
  const ready = (async () => {
    if (hash) {
      if (!isPasswordHash(hash)) throw new Error('api.password_hash is not a hash made by `warden hash-password`');
      return;
    }
    const stored = meta.getMeta(META_PASSWORD_HASH);
    if (stored && isPasswordHash(stored)) {
      hash = stored;
      return;
    }
    const pw = randomBytes(15).toString('base64url');
    hash = await hashPassword(pw);
    meta.setMeta(META_PASSWORD_HASH, hash);
    (opts.onGeneratedPassword ?? ((p: string) => console.log(`warden: generated dashboard password (shown once): ${p}`)))(pw);
  })();
  ready.catch(() => undefined);

  const sessions = new Map<string, Session>();
  const failures = new Map<string, number[]>();
  const tokenDigests = opts.tokens.map((t) => t);
  const nowSec = () => clock.nowMs() / 1000;

  function recent(addr: string): number[] {
    const cutoff = nowSec() - 60;
    const list = (failures.get(addr) ?? []).filter((t) => t > cutoff);
    if (list.length) failures.set(addr, list);
    else failures.delete(addr);
    return list;
  }

  return {
    ready,
    async checkPassword(pw) {
      await ready;
      return verifyPassword(pw, hash);
    },
    loginAttempt(addr) {
      const list = recent(addr);
      if (list.length >= opts.loginAttemptsPerMinute) return false;
      list.push(nowSec());
      failures.set(addr, list);
      if (failures.size > 10_000) failures.delete(failures.keys().next().value as string);
      return true;
    },
    loginSucceeded(addr) {
      const list = failures.get(addr);
      if (!list) return;
      list.pop();
      if (list.length === 0) failures.delete(addr);
    },
    createSession(addr) {
      const token = randomBytes(32).toString('base64url');
      const session = { csrf: randomBytes(24).toString('base64url'), expiresAt: nowSec() + opts.sessionTtlSec, addr };
      sessions.set(token, session);
      // Forget expired sessions now and then.
      if (sessions.size % 64 === 0) for (const [k, s] of sessions) if (s.expiresAt <= nowSec()) sessions.delete(k);
      return { token, session };
    },
    session(token) {
      if (!token || token.length > 100) return null;
      const s = sessions.get(token);
      if (!s) return null;
      if (s.expiresAt <= nowSec()) {
        sessions.delete(token);
        return null;
      }
      return s;
    },
    endSession(token) {
      if (token) sessions.delete(token);
    },
    bearerValid(token) {
      let ok = false;
      for (const t of tokenDigests) ok = safeEqual(token, t) || ok;
      return ok;
    },
  };
}

/**
 * A short, stable name for a secret (a bearer token, a session cookie) in audit lines: the first 8 hex digits of its
 * SHA-256. It tells two tokens apart without showing either.
 * @example fingerprint('a-long-api-token-0001') // 8 hex digits
 */
export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 8);
}
