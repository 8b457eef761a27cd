// `warden hash-password`: reads a password on stdin and prints the hash to put in `api.password_hash`.
import type { CommandContext } from '../context.js';
import { hashPassword } from '../../api/password.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Runs `warden hash-password`. */
export async function runHashPassword(ctx: CommandContext): Promise<number> {
  if (process.stdin.isTTY) ctx.err('type the password, then Enter and Ctrl-D:');
  const pw = await readStdin();
  if (pw.length < 8) {
    ctx.err('warden hash-password: the password must have at least 8 characters');
    return 2;
  }
  ctx.out(await hashPassword(pw));
  return 0;
}
