// The JSON API's response shapes, defined once: the API builds them; the dashboard and the CLI import them (types only).
import type { AllowView, StatusView } from './service.js';
import type { RuleAlertRow } from '../adapters/store/types.js';

export type { AllowView, FleetNodeView, FleetStatusView, HourlySlotView, StatusView } from './service.js';
export type { BanRow as HistoryRow, RuleAlertRow } from '../adapters/store/types.js';
export type { HeavyClient, HeavyClients as HeavyClientsResponse } from '../core/types.js';
export type { RuleInfo } from '../core/rules/info.js';

/** GET /api/v1/status: the daemon's status; `activeBans` is cut to the newest few when there are many. */
export interface StatusResponse extends StatusView {
  /** All active bans (activeBans may hold fewer). */
  activeBanCount: number;
  /** True when activeBans was cut. */
  activeBansTruncated: boolean;
}

/** GET /api/v1/alerts: one page of rule alerts, newest first. */
export interface RuleAlertsResponse {
  rows: RuleAlertRow[];
  total: number;
  limit: number;
  offset: number;
}

/** GET /api/v1/allow: every allow-list entry in force (built in, config file, runtime). */
export interface AllowListResponse {
  entries: AllowView[];
}

/** POST /api/v1/allow: the entry as stored, and the bans it lifted at once. */
export interface AllowAddResponse {
  ok: true;
  cidr: string;
  lifted: string[];
}
