// The API client: one fetch wrapper that speaks the Stockroom JSON conventions.
// Authentication rides on the HttpOnly cookie `stockroom_token`; this module never sees the token.

/** An error answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(status, code, message, fields = {}, extra = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fields = fields || {};
    this.retryAfter = extra.retryAfter ?? null;
    this.requestId = extra.requestId ?? null;
  }
}

const listeners = { unauthorized: null, activity: null, unverified: null };

/** Called with no argument when a signed-in request answers 401 (the session has ended). */
export function onUnauthorized(fn) { listeners.unauthorized = fn; }
/**
 * Called with the ApiError when a request answers 403 `email_unverified` (the instance requires a
 * verified address before most signed-in routes).
 */
export function onEmailUnverified(fn) { listeners.unverified = fn; }
/** Called with +1 when a request starts and -1 when it settles. */
export function onActivity(fn) { listeners.activity = fn; }

/** Builds `?a=1&b=2` from an object, skipping null, undefined and empty strings. */
export function queryString(params = {}) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '' || value === false) continue;
    qs.set(key, String(value));
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls `/api` + path.
 * options: body (JSON-encoded), text (sent as it is, with `contentType`, default text/csv),
 * query (object), headers, auth (default true: a 401 means the session ended and the app is told;
 * pass false for login/signup/whoami).
 * Resolves with the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(method, path, options = {}) {
  const { body, text, contentType = 'text/csv', query, headers = {}, auth = true } = options;
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json', 'X-Requested-With': 'stockroom', ...headers },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (text !== undefined) {
    init.headers['Content-Type'] = contentType;
    init.body = String(text);
  }
  const url = `/api${path}${query ? queryString(query) : ''}`;

  listeners.activity?.(1);
  let response;
  try {
    try {
      response = await fetch(url, init);
    } catch {
      throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
    }
    if (response.status === 204) return null;

    let data = null;
    const payload = await response.text();
    if (payload) {
      try { data = JSON.parse(payload); } catch { data = null; }
    }
    if (response.ok) return data;

    const e = (data && data.error) || {};
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    let message = e.message || defaultMessage(response.status);
    if (response.status === 429 && retryAfter && !/\d/.test(message)) {
      message += ` Try again in ${formatWait(retryAfter)}.`;
    }
    if (response.status >= 500 && e.requestId) message += ` (Reference: ${e.requestId})`;
    const err = new ApiError(response.status, e.code || `http_${response.status}`, message, e.fields || {}, {
      retryAfter,
      requestId: e.requestId,
    });
    if (response.status === 401 && auth) listeners.unauthorized?.(err);
    if (response.status === 403 && err.code === 'email_unverified') listeners.unverified?.(err);
    throw err;
  } finally {
    listeners.activity?.(-1);
  }
}

function defaultMessage(status) {
  if (status === 401) return 'Please sign in to continue.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'That conflicts with the current state. Reload and try again.';
  if (status === 413) return 'That is too large to send.';
  if (status === 429) return 'Too many requests.';
  if (status >= 500) return 'Something went wrong on the server. Please try again.';
  return `The request failed (HTTP ${status}).`;
}

function formatWait(seconds) {
  if (seconds < 90) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

export const get = (path, query, options = {}) => api('GET', path, { ...options, query });
export const post = (path, body, options = {}) => api('POST', path, { ...options, body });
export const put = (path, body, options = {}) => api('PUT', path, { ...options, body });
export const patch = (path, body, options = {}) => api('PATCH', path, { ...options, body });
export const del = (path, body, options = {}) => api('DELETE', path, { ...options, body });
/** POSTs a raw text body (a CSV file by default: `options.contentType` names another type). */
export const postText = (path, text, options = {}) => api('POST', path, { ...options, text });

/** A random UUID, also outside secure contexts (plain http on a LAN address). */
export function uuid() {
  if (globalThis.crypto?.randomUUID) {
    try { return crypto.randomUUID(); } catch { /* not a secure context */ }
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
