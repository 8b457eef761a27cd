// Password hashing for the dashboard login: scrypt with a random salt, verified in constant time.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PARAMS = { N: 16384, r: 8, p: 1 };
const KEYLEN = 32;

function scryptAsync(pw: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(pw, salt, keylen, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Hashes a password into a self-describing string for `api.password_hash`.
 * @example const h = await hashPassword('correct horse'); // 'scrypt$16384$8$1$<salt b64>$<key b64>'
 */
export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pw, salt, KEYLEN, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Tells whether a string looks like a hash made by hashPassword. */
export function isPasswordHash(h: string): boolean {
  return /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(h);
}

/**
 * Checks a password against a hash made by hashPassword, in constant time; false for a malformed hash.
 * @example if (await verifyPassword(body.password, hash)) startSession();
 */
export async function verifyPassword(pw: string, hash: string): Promise<boolean> {
  if (!isPasswordHash(hash)) return false;
  const [, n, r, p, saltB64, keyB64] = hash.split('$');
  const N = Number(n);
  if (N > 1 << 20 || Number(r) > 32 || Number(p) > 16) return false;
  const want = Buffer.from(keyB64, 'base64');
  if (want.length < 16 || want.length > 128) return false;
  const got = await scryptAsync(pw, Buffer.from(saltB64, 'base64'), want.length, { N, r: Number(r), p: Number(p) });
  return timingSafeEqual(got, want);
}
