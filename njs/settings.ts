// Settings of the njs module: nginx variables set with `js_var $warden_...` in nginx.conf, read through one typed getter.

/**
 * The name of a numeric setting: `warden_drain_max` (most per-IP keys one GET /counters answer removes, more:true when
 * cut; default 20000), `warden_keep_seconds` (seconds a completed bucket waits for a poll before the janitor discards
 * it, counted as dropped; below 60; default 30).
 */
export type SettingName = 'warden_drain_max' | 'warden_keep_seconds';

/** The default of a setting (a function, not a module-level object: top-level code re-runs on every request). */
export function defaultOf(name: SettingName): number {
  return name === 'warden_drain_max' ? 20000 : 30;
}

/** Anything with nginx variables: a request or a periodic session. */
export interface HasVariables {
  variables: { [name: string]: string | undefined };
}

/**
 * Reads a numeric setting from its js_var, falling back to the default when it is absent or not a positive number.
 * @example setting(r, 'warden_drain_max') // 20000 unless `js_var $warden_drain_max 5000;`
 */
export function setting(r: HasVariables, name: SettingName): number {
  let raw: string | undefined;
  try {
    raw = r.variables[name];
  } catch {
    raw = undefined;
  }
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return isFinite(n) && n > 0 ? Math.floor(n) : defaultOf(name);
}
