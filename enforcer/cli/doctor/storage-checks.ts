// Doctor's storage checks: the database and the audit log are usable and not under a read-only folder.
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { openStore } from '../../adapters/store/warden-store.js';
import type { Config } from '../../config/schema.js';
import type { Finding } from './finding.js';

/** The nearest existing folder at or above `p`. */
function existingAncestor(p: string): string {
  let d = p;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * A warning when `path` (the setting `key`) is under /etc, /usr or /boot, which the systemd unit keeps read-only
 * (ProtectSystem=full), so the daemon could not write it there; null otherwise.
 */
function readOnlyWarning(what: string, key: string, path: string, suggested: string): Finding | null {
  if (!/^\/(etc|usr|boot)\//.test(path)) return null;
  return { level: 'warn', what, detail: `${path} is under a folder the systemd unit keeps read-only`,
    fix: `set ${key}: ${suggested}`, see: 'config' };
}

/** The database: readable, or creatable at first start; not under a folder the unit keeps read-only. */
export function checkDatabase(config: Config): Finding[] {
  const path = config.storage.database;
  const ro = readOnlyWarning('database', 'storage.database', path, '/var/lib/nginx-warden/warden.db');
  const out: Finding[] = ro ? [ro] : [];
  if (!existsSync(path)) {
    try {
      accessSync(existingAncestor(dirname(path)), constants.W_OK);
      out.push({ level: 'ok', what: 'database', detail: `${path} will be created at first start` });
    } catch {
      out.push({ level: 'fail', what: 'database', detail: `cannot create ${path}`, fix: `make ${dirname(path)} writable for the daemon's user`, see: 'database' });
    }
    return out;
  }
  try {
    const store = openStore(path, { readonly: true });
    try {
      out.push({ level: 'ok', what: 'database', detail: `${path}: ${store.countActive()} active ban(s)` });
    } finally {
      store.close();
    }
  } catch (err) {
    out.push({ level: 'fail', what: 'database', detail: `${path}: ${(err as Error).message}`,
      fix: 'restore it from a backup, or move it away to start afresh', see: 'database' });
  }
  return out;
}

/** The audit log: writable, or creatable at first start; not under a folder the unit keeps read-only. */
export function checkAuditLog(config: Config): Finding[] {
  const path = config.storage.audit_log;
  const ro = readOnlyWarning('audit log', 'storage.audit_log', path, '/var/log/nginx-warden/audit.log');
  const out: Finding[] = ro ? [ro] : [];
  const target = existsSync(path) ? path : existingAncestor(dirname(path));
  try {
    accessSync(target, constants.W_OK);
    out.push({ level: 'ok', what: 'audit log', detail: existsSync(path) ? `${path} is writable` : `${path} will be created at first start` });
  } catch (err) {
    out.push({ level: 'fail', what: 'audit log', detail: `${path} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      fix: `make ${dirname(path)} writable for the daemon's user`, see: 'logrotate' });
  }
  return out;
}
