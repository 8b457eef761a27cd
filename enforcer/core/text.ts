// Text made safe for logs and terminals: control characters (C0, DEL, C1) shown as \xNN escapes, never raw.

/**
 * `s` with every control character (U+0000-U+001F, U+007F-U+009F) replaced by `\xNN`.
 * @example escapeControl('a\u0000b\u001b[2J') === 'a\\x00b\\x1b[2J'
 */
export function escapeControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
