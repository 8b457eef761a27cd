// The JSON API's response shapes, defined once: the API builds them; the dashboard and the CLI import them (types only).
import type { StatusView } from './service.js';

export type { AllowView, FleetNodeView, FleetStatusView, HourlySlotView, StatusView } from './service.js';
export type { BanRow as HistoryRow } from '../adapters/store/types.js';
export type { RuleInfo } from '../core/rules/info.js';

/** GET /api/v1/status: the daemon's status; `activeBans` is cut to the newest few when there are many. */
export interface StatusResponse extends StatusView {
  /** All active bans (activeBans may hold fewer). */
  activeBanCount: number;
  /** True when activeBans was cut. */
  activeBansTruncated: boolean;
}
