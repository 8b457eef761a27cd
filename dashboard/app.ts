// The dashboard's entry (bundled by build.mjs): the login page, or the dashboard: status polling, charts, bans, top
// and heaviest clients, the allow-list, rule alerts and history, each in its own module.
// Everything user-supplied goes through textContent; no innerHTML with data.
import { ban, onChange } from './actions.js';
import { api, getCsrf, setCsrf } from './api.js';
import { loadBaseline, resizeCharts } from './charts.js';
import { $ } from './dom.js';
import { initHistory, loadHistory } from './history.js';
import { initHeavy, loadHeavy } from './heavy-clients.js';
import { initAllow, loadAllow } from './allow-view.js';
import { initAlerts, loadAlerts } from './rule-alerts.js';
import { initLogin } from './login.js';
import { refresh } from './status-view.js';

const POLL_MS = 2000;
/** The heaviest clients and rule alerts change slowly: polled less often than the status. */
const SLOW_POLL_MS = 5000;

async function initDashboard(): Promise<void> {
  if (!getCsrf()) {
    try {
      setCsrf((await api<{ csrf?: string }>('GET', '/api/v1/session')).csrf ?? '');
    } catch { /* 401 reloads */ }
  }
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/v1/logout').catch(() => undefined);
    setCsrf('');
    location.reload();
  });
  $('ban-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const ip = $<HTMLInputElement>('ban-ip');
    void ban(ip.value.trim(), $<HTMLInputElement>('ban-duration').value.trim(), $<HTMLInputElement>('ban-reason').value);
    ip.value = '';
  });
  initHistory();
  initHeavy();
  initAllow();
  initAlerts();
  onChange(async () => {
    await refresh();
    await Promise.all([loadHistory(), loadHeavy(), loadAllow()]);
  });
  window.addEventListener('resize', resizeCharts);
  await loadBaseline();
  await refresh();
  await Promise.all([loadHistory(), loadHeavy(), loadAllow(), loadAlerts()]);
  setInterval(() => void refresh(), POLL_MS);
  setInterval(() => { void loadHeavy(); void loadAlerts(); }, SLOW_POLL_MS);
  setInterval(() => void loadBaseline(), 60_000);
}

const loginForm = document.getElementById('login-form') as HTMLFormElement | null;
if (loginForm) initLogin(loginForm);
else if (document.getElementById('dashboard')) void initDashboard();
