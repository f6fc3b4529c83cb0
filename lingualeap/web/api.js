// The REST API on the same origin. The server keeps the session in an HttpOnly `jwt` cookie, so
// the page never handles tokens: every request simply sends the cookie along.

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const STATUS_TEXT = {
  400: 'That request was not accepted.',
  401: 'Please log in first.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  405: 'That is not supported.',
  413: 'That was too much data.',
  429: 'Too many requests: slow down a little.',
};

async function request(method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError('Cannot reach the server. Check your connection and try again.', 0, 'network');
  }
  let payload = null;
  const text = await response.text();
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const message = (payload && typeof payload.message === 'string' && payload.message)
      || STATUS_TEXT[response.status]
      || `The server answered ${response.status}.`;
    throw new ApiError(message, response.status, payload && payload.code);
  }
  return payload;
}

export const api = {
  register: (name, email, password) => request('POST', '/api/users', { name, email, password }),
  login: (email, password) => request('POST', '/api/users/auth', { email, password }),
  logout: () => request('POST', '/api/users/logout'),
  profile: () => request('GET', '/api/users/profile'),
  languages: () => request('GET', '/api/languages'),
  globalLeaderboard: (limit = 10) => request('GET', `/api/leaderboard/global?limit=${limit}`),
};
