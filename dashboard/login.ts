// The login page: posts the password, keeps the CSRF token, reloads into the dashboard.
import { api, setCsrf } from './api.js';
import { $, setText } from './dom.js';

/** Wires the login form. */
export function initLogin(form: HTMLFormElement): void {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const pw = $<HTMLInputElement>('password').value;
    setText('login-error', '');
    try {
      const r = await api<{ csrf: string }>('POST', '/api/v1/login', { password: pw });
      setCsrf(r.csrf);
      location.reload();
    } catch (err) {
      setText('login-error', (err as Error).message);
    }
  });
}
