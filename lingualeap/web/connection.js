// One WebSocket to /ws that reconnects by itself with exponential backoff and jitter.
//
// Frames are JSON objects {event, data} both ways. Listeners subscribe per event name; the
// connection reports its state ('connecting' | 'open' | 'waiting' | 'closed') to onState.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15000;

export class Connection {
  constructor({ urlFor, onState }) {
    this._urlFor = urlFor;          // () => URL string, asked again on every (re)connect
    this._onState = onState;        // (state, info) => void
    this._handlers = new Map();
    this._observers = [];           // (event, data) => void, after the event's own handlers
    this._socket = null;
    this._attempt = 0;
    this._timer = null;
    this._tick = null;
    this._stopped = true;
    this._everOpened = false;
    this.state = 'closed';
  }

  on(event, handler) {
    if (!this._handlers.has(event)) this._handlers.set(event, []);
    this._handlers.get(event).push(handler);
  }

  // Watch every frame once its handlers have run (e.g. to remember the last sequence number).
  observe(observer) {
    this._observers.push(observer);
  }

  get isOpen() {
    return this._socket !== null && this._socket.readyState === WebSocket.OPEN;
  }

  start() {
    this._stopped = false;
    this._connect();
  }

  // Drop the current socket and connect again at once (identity changed, or "Retry now").
  restart() {
    this._stopped = false;
    this._attempt = 0;
    this._clearTimers();
    this._drop();
    this._connect({ intentional: true });
  }

  send(event, data = {}) {
    if (!this.isOpen) return false;
    this._socket.send(JSON.stringify({ event, data }));
    return true;
  }

  _drop() {
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      try { socket.close(1000, 'reconnecting'); } catch { /* already closed */ }
    }
  }

  _clearTimers() {
    clearTimeout(this._timer);
    clearInterval(this._tick);
    this._timer = this._tick = null;
  }

  _setState(state, info = {}) {
    this.state = state;
    this._onState(state, info);
  }

  _connect({ intentional = false } = {}) {
    this._clearTimers();
    this._setState('connecting', { attempt: this._attempt, reconnect: this._everOpened && !intentional });
    let socket;
    try {
      socket = new WebSocket(this._urlFor());
    } catch (err) {
      this._scheduleRetry({ opened: false });
      return;
    }
    this._socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this._everOpened = true;
      this._attempt = 0;
      this._setState('open');
    };
    socket.onmessage = (message) => this._dispatch(message.data);
    socket.onerror = () => { /* onclose follows and handles it */ };
    socket.onclose = (close) => {
      if (this._socket !== socket) return;
      this._socket = null;
      this._emit('_closed', { code: close.code, reason: close.reason, opened });
      if (!this._stopped) this._scheduleRetry({ opened, code: close.code, reason: close.reason });
    };
  }

  _scheduleRetry(info) {
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this._attempt);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    this._attempt += 1;
    const retryAt = Date.now() + delay;
    const report = () => this._setState('waiting', { ...info, retryIn: Math.max(0, retryAt - Date.now()), attempt: this._attempt });
    report();
    this._tick = setInterval(report, 1000);
    this._timer = setTimeout(() => this._connect(), delay);
  }

  _dispatch(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      console.warn('LinguaLeap: ignoring a frame that is not JSON', raw);
      return;
    }
    if (!frame || typeof frame.event !== 'string') return;
    const data = frame.data || {};
    this._emit(frame.event, data);
    for (const observer of this._observers) {
      try {
        observer(frame.event, data);
      } catch (err) {
        console.error('LinguaLeap: frame observer failed', err);
      }
    }
  }

  _emit(event, data) {
    const handlers = this._handlers.get(event) || this._handlers.get('*') || [];
    for (const handler of handlers) {
      try {
        handler(data, event);
      } catch (err) {
        console.error(`LinguaLeap: handler for ${event} failed`, err);
      }
    }
  }
}
