// `warden bans`: re-exported from status.ts (both read the daemon's status).
export { runBans } from './status.js';
