// Doctor's check that nginx.conf and warden.js in nginx are of one version: nginx.conf names the per-request handlers
// by their index in warden.js's export array (`js_set $warden_log_plain warden.0;`); an older nginx.conf named them
// (`warden.log`). Mixed, nginx starts and `nginx -t` passes, but nothing is counted and every request writes
// `js function "warden.log" not found` to the error log.
import { readFileSync } from 'node:fs';
import type { Finding } from './finding.js';

/** Reads a file's text, or undefined when it cannot be read (injected in tests: a chrooted nginx sees other paths). */
export type ReadText = (path: string) => string | undefined;

const readOrUndefined: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * Whether the module text exports an array (this version's warden.js), an object (an older one), or neither is known.
 * @example exportKind('var index_default = [log];\nexport {\n  index_default as default\n};') // 'array'
 */
export function exportKind(text: string | undefined): 'array' | 'object' | 'unknown' {
  const name = text === undefined ? null : /\bexport\s*\{\s*(\w+)\s+as\s+default\s*\}/.exec(text);
  if (!text || !name) return 'unknown';
  const def = new RegExp(`\\bvar\\s+${name[1]}\\s*=\\s*([[{])`).exec(text);
  return def ? (def[1] === '[' ? 'array' : 'object') : 'unknown';
}

/**
 * The findings about the handler names of `nginx -T` output against the warden.js it imports (read from its js_path).
 * @example checkHandlerNames('js_set $warden_log_plain warden.log;') // a warn: an nginx.conf older than this version
 */
export function checkHandlerNames(dump: string, readText: ReadText = readOrUndefined): Finding[] {
  const names = [...dump.matchAll(/^\s*js_set\s+\$warden_\w+\s+warden\.(\w+)\s*;/gm)].map((m) => m[1]);
  if (names.length === 0) return [];
  const byName = names.filter((n) => !/^\d+$/.test(n));
  const dir = /^\s*js_path\s+"?([^";\s]+)"?\s*;/m.exec(dump)?.[1];
  const mod = /^\s*js_import\s+warden\s+from\s+"?([^";\s]+)"?\s*;/m.exec(dump)?.[1] ?? 'warden.js';
  const file = mod.startsWith('/') || dir === undefined ? mod : `${dir.replace(/\/?$/, '/')}${mod}`;
  const kind = exportKind(readText(file));
  const copy = 'copy nginx.conf, dist/njs/warden.js and dist/njs/warden-internal.js of this version to /etc/nginx/warden/ ' +
    '(keep your own edits of nginx.conf) and reload nginx';
  if (byName.length > 0) {
    const detail = `the warden nginx.conf in nginx names its handlers (warden.${byName[0]}): it is older than this version`;
    if (kind === 'array') {
      return [{ level: 'fail', what: 'nginx handlers', detail: `${detail}, and ${file} is this version's, which has no such names: ` +
        `nothing is counted and every request logs \`js function "warden.${byName[0]}" not found\``, fix: copy, see: 'upgrading' }];
    }
    return [{ level: 'warn', what: 'nginx handlers', detail: `${detail}; it needs the warden.js of its own version`, fix: copy, see: 'upgrading' }];
  }
  if (kind === 'object') {
    return [{ level: 'fail', what: 'nginx handlers', detail: `the warden nginx.conf names its handlers by index (warden.0) but ${file} is ` +
      'older and exports them by name: nothing is counted and every request logs `js function "warden.0" not found`', fix: copy, see: 'upgrading' }];
  }
  return [{ level: 'ok', what: 'nginx handlers', detail: kind === 'array' ? `nginx.conf and ${file} are of one version` : 'nginx.conf names the handlers of this version' }];
}

/**
 * The findings about the maps that pick the handler: every value of `map ... $warden_log`, `map ... $warden_static` and
 * `map ... $warden_sensitive_route` must be a handler variable (`$warden_log_...`, or one of the other two maps in the
 * first). An older `$warden_static` map
 * (values `1` / `0`, edited by hand and kept over an upgrade) makes `$warden_log` a plain `1` for a 4xx: nginx then
 * runs no handler and the request is not counted at all.
 * @example checkHandlerMaps('map $request_uri $warden_static {\n default 0;\n}') // a fail naming `0`
 */
export function checkHandlerMaps(dump: string): Finding[] {
  const text = dump.replace(/#[^\n]*/g, '');
  const bad: string[] = [];
  let seen = 0;
  for (const m of text.matchAll(/\bmap\s+\S+\s+\$(warden_log|warden_static|warden_sensitive_route)\s*\{([^}]*)\}/g)) {
    seen++;
    for (const st of m[2].split(';')) {
      const words = st.trim().split(/\s+/);
      if (words.length < 2) continue;
      const value = words[words.length - 1];
      const ok = /^\$warden_log_\w+$/.test(value) ||
        (m[1] === 'warden_log' && (value === '$warden_static' || value === '$warden_sensitive_route'));
      if (!ok) bad.push(`$${m[1]}: \`${st.trim().slice(0, 60)}\``);
    }
  }
  if (seen === 0) return [];
  if (bad.length === 0) return [{ level: 'ok', what: 'nginx handler maps', detail: 'every class of request runs a counting handler' }];
  return [{ level: 'fail', what: 'nginx handler maps', detail: `a map that picks the counting handler has a value that is not a handler ` +
    `(${bad.slice(0, 3).join('; ')}): nginx runs no handler for those requests and they are not counted (an nginx.conf older ` +
    'than this version, or edited)', fix: 'copy the maps of this version\'s nginx.conf (keep your own regex lines, with its values) and reload nginx',
  see: 'upgrading' }];
}
