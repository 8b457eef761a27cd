// Caps request bodies while they stream (Hono's bodyLimit): a body over the cap is answered 413 with a reason
// before it is read any further, whether it declares a Content-Length or comes chunked.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** The cap of every body but a bulk ban list, in bytes (a login, one ban, one allow-list entry). */
export const BODY_LIMIT = 16 * 1024;
/** The cap of POST /api/v1/bans/bulk: 100,000 addresses with room to spare. */
export const BULK_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * A middleware refusing bodies larger than `maxBytes` with 413 and a JSON reason.
 * @example app.post('/upload', capBody(1 << 20), handler)
 */
export function capBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `the body is too large (at most ${maxBytes} bytes)` }, 413, { Connection: 'close' }),
  });
}
