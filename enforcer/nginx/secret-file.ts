// The warden secret shared with nginx, kept in a file nginx includes (`js_var $warden_secret "<hex>";`).
// Only a poller that signs its requests with it (the daemon) may drain counts or change nginx bans (njs/auth.ts).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const LINE = /^\s*js_var\s+\$warden_secret\s+"([0-9a-f]{64})"\s*;\s*$/m;

/**
 * The secret in `path`, or null when the file is missing; throws when it exists but holds no valid secret line.
 * @example readSecret('/etc/nginx/warden/secret.conf') // '3f9a...' (64 hex digits)
 */
export function readSecret(path: string): string | null {
  if (!existsSync(path)) return null;
  const m = LINE.exec(readFileSync(path, 'utf8'));
  if (!m) throw new Error(`${path} holds no \`js_var $warden_secret "<64 hex digits>";\` line: delete it and restart the daemon to make a new one`);
  return m[1];
}

/**
 * The text of a secret file for `secret` (what nginx includes).
 * @example secretFileText('ab'.repeat(32))
 */
export function secretFileText(secret: string): string {
  return '# The warden secret (written by the warden daemon): only a poller that signs with it may drain counts or change\n' +
    '# bans on the internal listener. Readable by root only; nginx reads it as root when it loads its config.\n' +
    `js_var $warden_secret "${secret}";\n`;
}

/**
 * Reads the secret in `path`, or writes a new random one (mode 0600) when the file is missing.
 * @example const { secret, created } = ensureSecret('/etc/nginx/warden/secret.conf'); if (created) console.log('reload nginx');
 */
export function ensureSecret(path: string): { secret: string; created: boolean; tightened?: string } {
  const old = readSecret(path);
  if (old !== null) {
    // A secret others can read is no secret (any local user could drain counts or lift bans): back to 0600, and say so.
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) === 0) return { secret: old, created: false };
    chmodSync(path, 0o600);
    return {
      secret: old, created: false,
      tightened: `${path} was readable by others (mode ${mode.toString(8).padStart(4, '0')}): set to 0600; anyone who read it ` +
        'may drain counts or change nginx bans: delete it, restart the daemon (it writes a new one) and reload nginx',
    };
  }
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, secretFileText(secret), { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { secret, created: true };
}
