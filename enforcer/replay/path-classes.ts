// The request classes of counters protocol 2 for replay, read from the same nginx `map`s the warden include ships
// (nginx.conf: $warden_sensitive, $warden_static), so a replay classifies a request exactly as nginx would.
import { readFileSync } from 'node:fs';
import type { Counts } from '../core/types.js';

/** A compiled map: regex entries in order (first match wins), exact entries, default. */
interface CompiledMap {
  exact: Map<string, string>;
  regex: Array<{ re: RegExp; value: string }>;
  fallback: string;
}

/** The two path classes of a request URI (as in $request_uri: path and query as sent). */
export interface PathClasses {
  sensitive(requestUri: string): boolean;
  isStatic(requestUri: string): boolean;
}

/** Reads one nginx config token at `i`: a quoted string (with nginx's escapes) or a bare word. */
function token(text: string, i: number): { value: string; end: number } {
  const q = text[i];
  if (q === '"' || q === "'") {
    let out = '';
    let j = i + 1;
    for (; j < text.length && text[j] !== q; j++) {
      if (text[j] === '\\' && j + 1 < text.length) {
        const n = text[j + 1];
        // nginx unescapes \" \' \\ \t \r \n inside quotes and keeps any other backslash as it is.
        if (n === q || n === '\\') { out += n; j++; continue; }
        if (n === 't') { out += '\t'; j++; continue; }
        if (n === 'r') { out += '\r'; j++; continue; }
        if (n === 'n') { out += '\n'; j++; continue; }
      }
      out += text[j];
    }
    return { value: out, end: j + 1 };
  }
  let j = i;
  while (j < text.length && !/[\s;{}]/.test(text[j])) j++;
  return { value: text.slice(i, j), end: j };
}

/**
 * Compiles the body of `map <source> $<name> { ... }` in `conf` (nginx regex syntax is PCRE; the maps warden ships use
 * only what JavaScript regexes read the same way). Throws naming the map when it is missing or an entry is unreadable.
 */
function compileMap(conf: string, name: string): CompiledMap {
  const head = new RegExp(`^\\s*map\\s+\\$request_uri\\s+\\$${name}\\s*\\{`, 'm').exec(conf);
  if (!head) throw new Error(`no \`map $request_uri $${name} { ... }\` in the nginx config`);
  const out: CompiledMap = { exact: new Map(), regex: [], fallback: '' };
  let i = head.index + head[0].length;
  const words: string[] = [];
  for (;;) {
    while (i < conf.length && /\s/.test(conf[i])) i++;
    if (i >= conf.length) throw new Error(`map $${name}: no closing }`);
    const c = conf[i];
    if (c === '#') {
      while (i < conf.length && conf[i] !== '\n') i++;
      continue;
    }
    if (c === '}') break;
    if (c === ';') {
      i++;
      if (words.length !== 2) throw new Error(`map $${name}: an entry of ${words.length} words: ${JSON.stringify(words.join(' '))}`);
      const [key, value] = words.splice(0);
      if (key === 'default') out.fallback = value;
      else if (key.startsWith('~')) {
        const insensitive = key.startsWith('~*');
        const src = key.slice(insensitive ? 2 : 1);
        try {
          out.regex.push({ re: new RegExp(src, insensitive ? 'i' : ''), value });
        } catch (err) {
          throw new Error(`map $${name}: the regex ${JSON.stringify(src)} is not one replay can read: ${(err as Error).message}`, { cause: err });
        }
      } else out.exact.set(key.startsWith('\\') ? key.slice(1) : key, value);
      continue;
    }
    const t = token(conf, i);
    words.push(t.value);
    i = t.end;
  }
  return out;
}

function lookup(m: CompiledMap, s: string): string {
  const e = m.exact.get(s);
  if (e !== undefined) return e;
  for (const r of m.regex) if (r.re.test(s)) return r.value;
  return m.fallback;
}

/**
 * The path classes of an nginx config text (the warden nginx.conf, or a file with the two maps).
 * @example pathClassesOf(readFileSync('nginx.conf', 'utf8')).sensitive('/.env') // true
 */
export function pathClassesOf(conf: string): PathClasses {
  const sensitive = compileMap(conf, 'warden_sensitive');
  const stat = compileMap(conf, 'warden_static');
  // Sensitive paths nginx still counts as ordinary (a WebDAV prefix): the map's value is the general handler. Absent
  // from the nginx.conf of earlier versions.
  const route = /^\s*map\s+\$request_uri\s+\$warden_sensitive_route\s*\{/m.test(conf) ? compileMap(conf, 'warden_sensitive_route') : null;
  // A sensitive path under such a prefix runs nginx's general handler, which counts a 4xx there as it does a static
  // file's: no probe.
  const exempt = (u: string) => route !== null && lookup(sensitive, u) === '1' && lookup(route, u) === '$warden_log_any';
  return {
    sensitive: (u) => lookup(sensitive, u) === '1' && !exempt(u),
    // The map's value is the handler nginx runs for a 4xx: the general one for a static file (`1` in the nginx.conf of
    // versions before the handlers were chosen by it).
    isStatic: (u) => {
      const v = lookup(stat, u);
      return v === '$warden_log_any' || v === '1' || exempt(u);
    },
  };
}

/**
 * The path classes of an nginx config file.
 * @example loadPathClasses('/etc/nginx/warden/nginx.conf')
 */
export function loadPathClasses(file: string): PathClasses {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the nginx config with the warden path maps ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return pathClassesOf(text);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * What one request adds to its client's counts, as njs counts it (njs/index.ts, njs/count.ts): [total, 4xx, 5xx,
 * auth, probe]. An access log cannot tell warden's own refusals of a banned client from the site's 403s: they count as
 * the site's here.
 * @example requestCounts(classes, 404, '/.env') // [1, 1, 0, 0, 1]
 */
export function requestCounts(classes: PathClasses, status: number, requestUri: string | undefined): Counts {
  const uri = requestUri ?? '';
  const sensitive = uri !== '' && classes.sensitive(uri);
  const c4 = status >= 400 && status < 500 ? 1 : 0;
  const c5 = status >= 500 ? 1 : 0;
  let auth = 0;
  let probe = sensitive ? 1 : 0;
  if (c4) {
    if (status === 401 || status === 403) auth = 1;
    // 499: the client gave up before the answer, which says nothing about the path (nginx.conf routes it so too).
    else if (status !== 499 && !sensitive && uri !== '' && !classes.isStatic(uri)) probe = 1;
  }
  return [1, c4, c5, auth, probe];
}
