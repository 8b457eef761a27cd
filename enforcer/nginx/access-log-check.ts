// Pure check over `nginx -T` output: which server/location blocks replace the inherited warden access_log (their own
// `access_log ...` or `access_log off` without `if=$warden_log`) and so drop out of the count.

/** One block that will not be counted. */
export interface AccessLogWarning {
  /** File and line of the offending access_log directive (or of the http block when warden is missing). */
  file: string;
  line: number;
  /** Which block: e.g. `server example.com > location /api`. */
  context: string;
  message: string;
}

interface Directive {
  name: string;
  args: string[];
  file: string;
  line: number;
  children?: Directive[];
}

/** The warden counting condition that must appear on every access_log. */
const WARDEN_IF = 'if=$warden_log';
const FIX = 'add `access_log /dev/null combined if=$warden_log;` next to it (see nginx.conf)';

/** Splits `nginx -T` output into files: `# configuration file PATH:` headers, in order. */
function splitFiles(dump: string): Array<{ path: string; text: string; firstLine: number }> {
  const lines = dump.split('\n');
  const files: Array<{ path: string; text: string; firstLine: number }> = [];
  let cur: { path: string; lines: string[]; firstLine: number } | null = null;
  const header = /^# configuration file (.+):\s*$/;
  for (const l of lines) {
    const m = header.exec(l);
    if (m) {
      if (cur) files.push({ path: cur.path, text: cur.lines.join('\n'), firstLine: cur.firstLine });
      cur = { path: m[1], lines: [], firstLine: 1 };
    } else if (cur) {
      cur.lines.push(l);
    }
  }
  if (cur) files.push({ path: cur.path, text: cur.lines.join('\n'), firstLine: cur.firstLine });
  if (files.length === 0 && dump.trim() !== '') files.push({ path: 'nginx.conf', text: dump, firstLine: 1 });
  return files;
}

/** Tokenises and parses one file into a directive tree (nginx syntax: words, quotes, comments, `;`, `{`, `}`). */
function parseFile(path: string, text: string): Directive[] {
  const root: Directive[] = [];
  const stack: Directive[][] = [root];
  let words: string[] = [];
  let wordLine = 0;
  let line = 1;
  let i = 0;
  const n = text.length;
  const flush = (children: boolean) => {
    if (words.length === 0) {
      words = [];
      return null;
    }
    const d: Directive = { name: words[0], args: words.slice(1), file: path, line: wordLine };
    if (children) d.children = [];
    stack[stack.length - 1].push(d);
    words = [];
    return d;
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === ';') {
      flush(false);
      i++;
    } else if (c === '{') {
      const d = flush(true);
      stack.push(d?.children ?? []);
      i++;
    } else if (c === '}') {
      flush(false);
      if (stack.length > 1) stack.pop();
      i++;
    } else {
      if (words.length === 0) wordLine = line;
      let w = '';
      if (c === '"' || c === "'") {
        i++;
        while (i < n && text[i] !== c) {
          if (text[i] === '\\' && i + 1 < n) i++;
          if (text[i] === '\n') line++;
          w += text[i++];
        }
        i++;
      } else {
        while (i < n && !/[\s;{}]/.test(text[i])) {
          if (text[i] === '\\' && i + 1 < n) i++;
          w += text[i++];
        }
      }
      words.push(w);
    }
  }
  flush(false);
  return root;
}

function globToRegExp(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(glob.startsWith('/') ? `^${esc}$` : `(^|/)${esc}$`);
}

/** Replaces `include` directives with the parsed files they name (as dumped), depth-limited. */
function expand(ds: Directive[], files: Map<string, Directive[]>, depth: number): Directive[] {
  const out: Directive[] = [];
  for (const d of ds) {
    if (d.name === 'include' && d.args.length === 1 && depth < 20) {
      const re = globToRegExp(d.args[0]);
      for (const [path, parsed] of files) if (re.test(path)) for (const d of expand(parsed, files, depth + 1)) out.push(d);
    } else if (d.children) {
      out.push({ ...d, children: expand(d.children, files, depth) });
    } else {
      out.push(d);
    }
  }
  return out;
}

function describe(d: Directive): string {
  if (d.name === 'server') {
    const names = d.children?.find((c) => c.name === 'server_name')?.args.filter((a) => a !== '') ?? [];
    const listen = d.children?.find((c) => c.name === 'listen')?.args[0];
    return `server ${names.length ? names.join(' ') : '_'}${listen ? ` (listen ${listen})` : ''}`;
  }
  return [d.name, ...d.args].join(' ');
}

/** True for the warden internal listener (its own polling is deliberately not counted). */
function isWardenInternal(server: Directive): boolean {
  const walk = (ds: Directive[]): boolean =>
    ds.some((c) => (c.name === 'js_content' && /^warden(_internal)?\.api$/.test(c.args[0] ?? '')) || (c.children ? walk(c.children) : false));
  return walk(server.children ?? []);
}

const blockNames = new Set(['server', 'location', 'if', 'limit_except']);

/** Warns for each block whose own access_log lines lack the warden condition; recurses with what it inherits. */
function checkBlock(block: Directive, path: string[], inheritedCounted: boolean, out: AccessLogWarning[]): void {
  const own = (block.children ?? []).filter((c) => c.name === 'access_log');
  let counted = inheritedCounted;
  if (own.length > 0) {
    counted = own.some((a) => a.args.includes(WARDEN_IF));
    if (!counted && inheritedCounted) {
      const first = own[0];
      const off = own.every((a) => a.args[0] === 'off');
      out.push({
        file: first.file,
        line: first.line,
        context: path.join(' > '),
        message: `${off ? '`access_log off`' : 'its own access_log'} replaces the inherited warden access_log: requests here are not counted; ${FIX}`,
      });
    }
  }
  for (const c of block.children ?? []) {
    if (!c.children || !blockNames.has(c.name)) continue;
    if (c.name === 'server' && isWardenInternal(c)) continue;
    checkBlock(c, [...path, describe(c)], counted, out);
  }
}

/**
 * Lists the server/location blocks of an `nginx -T` dump whose own access_log (or `access_log off`) makes them drop
 * out of the warden count because it lacks `if=$warden_log`; also warns when no http block has the warden line.
 * @example
 *   checkAccessLogs(execFileSync('nginx', ['-T'], { encoding: 'utf8' }))
 *   // [{ file: '/etc/nginx/sites-enabled/api', line: 12, context: 'server api.example.com (listen 443)', message: '...' }]
 */
/**
 * Why `nginxT` cannot be `nginx -T` output of a web server (empty, or no http {} block anywhere), or null when it can.
 * @example nginxDumpProblem('') // 'the input is empty: ...'
 */
export function nginxDumpProblem(nginxT: string): string | null {
  if (nginxT.trim() === '') return 'the input is empty: it does not look like `nginx -T` output';
  const files = splitFiles(nginxT);
  const parsed = new Map<string, Directive[]>();
  for (const f of files) parsed.set(f.path, parseFile(f.path, f.text));
  const tree = expand(parsed.get(files[0].path) ?? [], parsed, 0);
  if (!tree.some((d) => d.name === 'http' && d.children)) {
    return 'no http {} block found: it does not look like `nginx -T` output (run `nginx -T > dump.txt` and pass --file dump.txt)';
  }
  return null;
}

export function checkAccessLogs(nginxT: string): AccessLogWarning[] {
  const files = splitFiles(nginxT);
  const parsed = new Map<string, Directive[]>();
  for (const f of files) parsed.set(f.path, parseFile(f.path, f.text));
  if (files.length === 0) return [];
  const tree = expand(parsed.get(files[0].path) ?? [], parsed, 0);
  const out: AccessLogWarning[] = [];
  for (const http of tree.filter((d) => d.name === 'http' && d.children)) {
    const logs = (http.children ?? []).filter((c) => c.name === 'access_log');
    const counted = logs.some((a) => a.args.includes(WARDEN_IF)) && !logs.some((a) => a.args[0] === 'off');
    if (!counted) {
      out.push({
        file: http.file,
        line: http.line,
        context: 'http',
        message: logs.some((a) => a.args[0] === 'off')
          ? '`access_log off` in http {} cancels the warden access_log: nothing is counted'
          : 'no `access_log ... if=$warden_log` in http {}: include the warden nginx.conf in http {}',
      });
      continue;
    }
    checkBlock(http, ['http'], true, out);
  }
  return out.map((w) => ({ ...w, context: w.context.replace(/^http > /, '') }));
}
