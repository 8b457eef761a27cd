// DOM helpers: look up, set text, make elements and buttons, and the banner. Data only ever goes in as textContent.

/** The element with this id. */
export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
/** Sets an element's text (nothing when it is missing). */
export function setText(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}
/** A new element with optional text and class. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/**
 * A table cell for a client or ban key: the address, or a network (`2001:db8:1:2::/64`) marked with a `network` tag.
 * @example tr.append(keyCell('203.0.113.0/24'))
 */
export function keyCell(ip: string): HTMLTableCellElement {
  const td = el('td', ip, 'mono');
  if (ip.indexOf('/') >= 0) {
    td.append(' ', el('span', 'network', 'tag tag-network'));
    td.title = `every address in ${ip}`;
  }
  return td;
}

/** A button that runs `onClick`. */
export function button(text: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', text, cls);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

let bannerTimer = 0;
/** Shows a message at the top for 6 s. */
export function banner(msg: string, kind: 'ok' | 'error' = 'error'): void {
  const b = $('banner');
  b.textContent = msg;
  b.className = `banner ${kind}`;
  b.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = window.setTimeout(() => { b.hidden = true; }, 6000);
}
