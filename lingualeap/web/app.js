// LinguaLeap browser client: lobby, matchmaking, private rooms, the word battle and its results.
// Plain ES modules, no build step. The wire contract is docs/PROTOCOL.md.

import { api, ApiError } from './api.js';
import { Connection } from './connection.js';
import { $, h, avatar, hueFor, initials, plural, signed } from './dom.js';

const ROOM_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;
const STORAGE = { guestName: 'lingualeap.guestName', language: 'lingualeap.language' };
const FALLBACK_LANGUAGES = [{ id: 'french', name: 'French' }, { id: 'spanish', name: 'Spanish' }];

// Human wording for server error codes; the server's own message is shown whenever it sends one.
const ERROR_TEXT = {
  bad_json: 'The server did not understand that message.',
  unknown_event: 'The server does not know that action.',
  invalid_field: 'Something in that request was not valid.',
  unknown_language: 'That language is not available.',
  already_queued: 'You are already waiting for a match.',
  already_in_room: 'You are already in a room. Leave it first.',
  not_queued: 'You were not waiting for a match.',
  unknown_room: 'There is no such room.',
  not_in_room: 'You are not in that room.',
  room_not_joinable: 'That room cannot be joined.',
  no_round: 'No round is running right now.',
  rate_limited: 'Slow down a little: too many messages.',
  internal: 'The server had a problem. Please try again.',
};

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------
const state = {
  me: null,                 // {id, username, guest} from `welcome`
  account: null,            // profile of the logged-in user, or null
  languages: [],            // [{id, name, words?}]
  language: localStorage.getItem(STORAGE.language) || 'french',
  guestName: localStorage.getItem(STORAGE.guestName) || '',
  view: 'lobby',
  rounds: null,
  roundSeconds: null,
  pendingRoom: null,        // room code from ?room= to join once connected
  joiningRoom: null,        // room code we asked to join and wait an answer for
  mode: null,               // how the current/last match was started: {type:'match'|'room', language, roomId}
  game: null,
  leaderboard: [],
  leaderboardPushes: 0,     // globalLeaderboardUpdate events seen (to order them with GET answers)
  connectedOnce: false,
  guestToken: null,         // from a guest's `welcome`: sent back on reconnect to stay the same guest
};

function newGame(data) {
  return {
    roomId: data.roomId,
    language: data.language || state.language,
    private: Boolean(data.private),
    maxPlayers: data.maxPlayers || 4,
    players: data.players || [],
    scores: data.scores || {},
    totalRounds: data.totalRounds || state.rounds || 0,
    round: 0,
    phase: 'waiting',       // waiting | starting | round | intermission | finished
    translation: '',
    hint: '',
    deadline: 0,            // local epoch ms at which the current countdown reaches zero
    span: 0,                // length of the current countdown, for the ring
    myGuesses: [],          // texts of my guesses awaiting the server's verdict, in order
    history: [],            // {round, translation, word, winner} of every finished round
    roundEndedAt: 0,
    standings: null,
    lastSeq: 0,             // the room's last event we saw: a resume asks for what came after
  };
}

// ---------------------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------------------
function wsUrl() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = new URL('/ws', `${proto}//${location.host}`);
  if (!state.account && state.guestName) url.searchParams.set('username', state.guestName);
  // A guest reconnecting is the same guest, so a match in progress keeps its seat.
  if (!state.account && state.guestToken) url.searchParams.set('guest', state.guestToken);
  return url.toString();
}

const conn = new Connection({ urlFor: wsUrl, onState: renderConnection });
conn.observe((event, data) => {
  if (typeof data.seq === 'number' && isCurrentRoom(data.roomId)) {
    state.game.lastSeq = Math.max(state.game.lastSeq || 0, data.seq);
  }
});

function send(event, data = {}) {
  if (conn.send(event, data)) return true;
  showError('You are offline right now. LinguaLeap will reconnect by itself; try again in a moment.');
  return false;
}

function renderConnection(connState, info) {
  const pill = $('conn-pill');
  const banner = $('connection-banner');
  pill.dataset.state = connState;
  pill.className = `pill pill--${connState === 'open' ? 'online' : connState === 'waiting' ? 'offline' : 'connecting'}`;
  $('conn-pill-text').textContent = connState === 'open' ? 'Online' : connState === 'waiting' ? 'Offline' : 'Connecting…';
  if (connState === 'open') {
    banner.hidden = true;
    return;
  }
  if (connState === 'waiting') {
    const seconds = Math.ceil((info.retryIn || 0) / 1000);
    const lead = state.connectedOnce ? 'Connection lost.' : 'Cannot reach the game server.';
    $('connection-banner-text').textContent = seconds > 0
      ? `${lead} Reconnecting in ${seconds} s…`
      : `${lead} Reconnecting…`;
    banner.hidden = false;
  } else if (connState === 'connecting' && state.connectedOnce && info.reconnect) {
    $('connection-banner-text').textContent = 'Connection lost. Reconnecting…';
    banner.hidden = false;
  }
}

conn.on('_closed', async ({ opened }) => {
  const wasIn = state.view;
  if (opened && ['game', 'queue', 'room'].includes(wasIn)) {
    state.resume = wasIn;
  }
  if (!opened && !state.account && !state.refusalShown) {
    // The page loads but the socket does not: the server itself refuses us (e.g. no guests allowed).
    // Twice in a row, so that a server that is just starting up is not taken for a refusal.
    const reachable = await fetch('/health', { cache: 'no-store' }).then((r) => r.ok).catch(() => false);
    state.refusals = reachable ? (state.refusals || 0) + 1 : 0;
    if (state.refusals >= 2 && conn.state !== 'open') {
      state.refusalShown = true;
      showError('The game server refused the connection. If guests cannot play here, please log in.');
    }
  }
  // A refused handshake while logged in usually means the session ended elsewhere.
  if (!opened && state.account) {
    try {
      await api.profile();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        state.account = null;
        try { await api.logout(); } catch { /* the cookie may already be gone */ }
        renderAccount();
        showError('Your session has expired. Please log in again.');
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Server events
// ---------------------------------------------------------------------------------------------
conn.on('welcome', (data) => {
  state.connectedOnce = true;
  state.refusals = 0;
  state.me = data.player || null;
  state.guestToken = data.guestToken || null;
  state.rounds = data.rounds ?? state.rounds;
  state.roundSeconds = data.roundSeconds ?? state.roundSeconds;
  if (!state.languages.length && Array.isArray(data.languages) && data.languages.length) {
    state.languages = data.languages;
    renderLanguages();
  }
  if (state.me && state.me.guest && state.account) {
    // The server does not see our session (expired or revoked): show the truth.
    state.account = null;
  }
  renderAccount();

  const resume = state.resume;
  state.resume = null;
  if (resume === 'queue' && state.mode) {
    notice('Reconnected. Back in the queue.');
    startFindMatch(state.mode.language, { quiet: true });
  } else if (resume === 'room' && state.game) {
    notice('Reconnected. Rejoining your room.');
    requestJoinRoom(state.game.roomId, state.game.language);
  } else if (resume === 'game' && state.game && state.game.phase !== 'finished') {
    // The seat is kept for a while: ask for what we missed (or the room as it is now).
    notice('Reconnected. Catching up with the match…');
    send('resume', { roomId: state.game.roomId, lastSeq: state.game.lastSeq || 0 });
  } else if (state.pendingRoom) {
    const code = state.pendingRoom;
    state.pendingRoom = null;
    requestJoinRoom(code, state.language);
  }
});

conn.on('queued', (data) => {
  showView('queue');
  const language = languageName(data.language);
  $('queue-status').textContent = data.position > 1
    ? `You are number ${data.position} in the ${language} queue.`
    : `Waiting for another ${language} player…`;
});

conn.on('queueStatus', (data) => {
  if (state.view !== 'queue') return;
  const language = languageName(data.language);
  const who = data.players > 2 ? `${data.players - 1} other ${language} players` : `another ${language} player`;
  const range = data.window ? ` within ±${Math.round(data.window)} rating points` : '';
  $('queue-status').textContent = data.botOffer
    ? `Nobody near your level yet: a practice match against LeapBot is starting.`
    : `Looking for ${who}${range}.`;
});

conn.on('xpAwarded', (data) => {
  if (data.bonus > 0) notice(`+${data.bonus} bonus XP for your streak!`);
  refreshProfile();
});

conn.on('achievement', (data) => {
  notice(`Achievement unlocked: ${data.title}. ${data.description}`);
  refreshProfile();
});

conn.on('matchCancelled', (data) => {
  if (state.view === 'queue') showView('lobby');
  notice(`You left the ${languageName(data.language)} queue.`);
});

conn.on('roomInfo', (data) => {
  const sameRoom = state.game && state.game.roomId === data.roomId;
  if (!sameRoom) {
    state.game = newGame(data);
    if (data.private) state.mode = { type: 'room', roomId: data.roomId, language: data.language };
  } else {
    Object.assign(state.game, {
      players: data.players || state.game.players,
      scores: data.scores || state.game.scores,
      language: data.language || state.game.language,
      private: Boolean(data.private),
      maxPlayers: data.maxPlayers || state.game.maxPlayers,
    });
  }
  state.joiningRoom = null;
  state.joinAttempt = null;
  setJoinBusy(false);
  if (data.private && state.game.phase === 'waiting') {
    setUrlRoom(data.roomId);
    renderRoom();
    showView('room');
  }
  renderScoreboard();
});

conn.on('playerJoined', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  state.game.players = data.players || state.game.players;
  state.game.scores = data.scores || state.game.scores;
  if (!isMe(data.player)) {
    addFeed('join', `${nameOf(data.player)} joined the room.`);
    if (state.view === 'room') notice(`${nameOf(data.player)} joined.`);
  }
  renderRoom();
  renderScoreboard();
});

conn.on('playerLeft', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  state.game.players = data.players || state.game.players;
  state.game.scores = data.scores || state.game.scores;
  addFeed('leave', `${nameOf(data.player)} left the match.`);
  if (state.view === 'room' || state.game.phase === 'starting') notice(`${nameOf(data.player)} left.`);
  if (state.game.phase === 'starting' && state.game.private && state.game.players.length < 2) {
    state.game.phase = 'waiting';
    renderRoom();
    showView('room');
  }
  renderRoom();
  renderScoreboard();
});

conn.on('roomFull', (data) => {
  state.joiningRoom = null;
  setJoinBusy(false);
  showError(`Room ${data.roomId} is full (${data.maxPlayers} players at most). Try another code.`);
  if (state.view !== 'game') showView('lobby');
});

conn.on('roomDeleted', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  state.game = null;
  setUrlRoom(null);
  showView('lobby');
  showError('The room closed because everyone else left.');
});

conn.on('matchFound', (data) => {
  if (!state.game || state.game.roomId !== data.roomId) state.game = newGame(data);
  const game = state.game;
  if (!game.private && (!state.mode || state.mode.type !== 'match')) {
    state.mode = { type: 'match', language: data.language };
  }
  game.players = data.players || game.players;
  game.language = data.language || game.language;
  game.totalRounds = data.totalRounds || game.totalRounds;
  game.phase = 'starting';
  game.round = 0;
  game.translation = '';
  game.hint = '';
  setCountdown(data.startsAt, 2000);
  clearFeed();
  const others = game.players.filter((p) => !isMe(p)).map(nameOf);
  addFeed('info', others.length ? `Match found! You vs ${others.join(', ')}. ${plural(game.totalRounds, 'word')} to find.` : 'Match found!');
  showView('game');
  renderGame();
  renderScoreboard();
  $('guess-input').value = '';
  focusGuess();
});

conn.on('roomState', (data) => {
  // After a resume the server may send the room as it is instead of the events we missed.
  if (!state.game || state.game.roomId !== data.roomId) state.game = newGame(data);
  const game = state.game;
  Object.assign(game, {
    phase: data.phase === 'closed' ? 'finished' : data.phase,
    players: data.players || game.players,
    scores: data.scores || game.scores,
    round: data.round || 0,
    totalRounds: data.totalRounds || game.totalRounds,
    translation: data.translation || '',
    hint: data.hint || '',
    myGuesses: [],
  });
  if (game.phase === 'round') setCountdown(data.endsAt, null);
  else setCountdown(data.nextAt, null);
  addFeed('info', 'Caught up with the match.');
  if (game.phase === 'waiting') {
    renderRoom();
    showView('room');
  } else if (game.phase !== 'finished') {
    showView('game');
    renderGame({ fresh: true });
  }
  renderScoreboard();
});

conn.on('playerDisconnected', (data) => {
  if (!isCurrentRoom(data.roomId) || isMe(data.player)) return;
  const seconds = data.until ? Math.max(0, Math.round((data.until - Date.now()) / 1000)) : 0;
  addFeed('leave', seconds
    ? `${nameOf(data.player)} lost the connection; their seat is kept for ${seconds} s.`
    : `${nameOf(data.player)} lost the connection.`);
});

conn.on('playerReconnected', (data) => {
  if (!isCurrentRoom(data.roomId) || isMe(data.player)) return;
  addFeed('join', `${nameOf(data.player)} is back.`);
});

conn.on('newRound', (data) => {
  if (!state.game || state.game.roomId !== data.roomId) state.game = newGame(data);
  const game = state.game;
  Object.assign(game, {
    phase: 'round',
    round: data.round,
    totalRounds: data.totalRounds || game.totalRounds,
    translation: data.translation || '',
    hint: data.hint || data.word || '',
    lastResult: null,
    myGuesses: [],
  });
  setCountdown(data.endsAt, (state.roundSeconds || 30) * 1000);
  addFeed('round', `Round ${data.round}: “${data.translation}”`);
  if (state.view !== 'game') showView('game');
  $('guess-input').value = '';   // whatever was typed was meant for the previous word
  setGuessFeedback('');
  renderGame({ fresh: true });
  focusGuess();
});

conn.on('correctGuess', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  const game = state.game;
  game.scores = data.scores || game.scores;
  if (typeof data.hint === 'string') game.hint = data.hint;
  const mine = isMe(data.player);
  const typed = mine ? game.myGuesses.shift() : null;
  const letters = (data.revealedChars || []).length;
  if (data.exact) {
    addFeed('exact', mine
      ? `You found it${typed ? ` with “${typed}”` : ''}! ${signed(data.points)}`
      : `${nameOf(data.player)} found the word! ${signed(data.points)}`, data.player);
    if (mine) setGuessFeedback(`Correct! ${signed(data.points)} points.`, 'good');
  } else {
    const what = `${plural(letters, 'letter')} revealed`;
    addFeed('partial', mine
      ? `You${typed ? ` (“${typed}”)` : ''}: ${what}. ${signed(data.points)}`
      : `${nameOf(data.player)}: ${what}. ${signed(data.points)}`, data.player);
    if (mine) setGuessFeedback(`Close! ${what}, ${signed(data.points)} points. Keep going.`, 'partial');
  }
  renderGame({ revealed: data.revealedChars || [] });
  renderScoreboard({ bump: data.player && data.player.id });
});

conn.on('wrongGuess', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  const game = state.game;
  game.scores = data.scores || game.scores;
  const mine = isMe(data.player);
  const typed = mine ? game.myGuesses.shift() : null;
  const points = typeof data.points === 'number' ? data.points : 0;
  const cost = points ? ` ${signed(points)}` : '';
  addFeed('wrong', mine
    ? `You${typed ? ` (“${typed}”)` : ''}: no new letters.${cost}`
    : `${nameOf(data.player)} missed.${cost}`, data.player);
  if (mine) {
    setGuessFeedback(`Not quite: no new letters${points ? `, ${signed(points)} points` : ''}.`, 'bad');
    shake($('guess-input'));
  }
  renderScoreboard();
});

conn.on('roundEnded', (data) => {
  if (!isCurrentRoom(data.roomId)) return;
  const game = state.game;
  game.scores = data.scores || game.scores;
  game.phase = 'intermission';
  game.myGuesses = [];
  game.lastResult = { word: data.word, translation: data.translation, winner: data.winner };
  game.history = [...game.history.filter((r) => r.round !== data.round),
    { round: data.round, translation: data.translation, word: data.word, winner: data.winner }];
  game.roundEndedAt = Date.now();
  game.hint = data.word || game.hint;
  if (data.nextRoundAt) setCountdown(data.nextRoundAt, 2000);
  else setCountdown(null);
  const who = data.winner ? (isMe(data.winner) ? 'You got it' : `${nameOf(data.winner)} got it`) : 'Nobody got it';
  addFeed('answer', `${who}: “${data.translation}” is “${data.word}”.`);
  renderGame({ answer: true });
  renderScoreboard();
});

conn.on('matchEnded', (data) => {
  const game = state.game && state.game.roomId === data.roomId ? state.game : newGame(data);
  state.game = game;
  game.phase = 'finished';
  game.standings = data.standings || [];
  game.winner = data.winner || null;
  setCountdown(null);
  setUrlRoom(null);
  const show = () => {
    if (state.game !== game) return;
    renderResults();
    showView('results');
    refreshProfileAfterMatch();
    refreshLeaderboard();
  };
  // The last answer arrives together with the end of the match: let it be seen for a moment.
  const sinceAnswer = Date.now() - (game.roundEndedAt || 0);
  if (state.view === 'game' && sinceAnswer < 1000) setTimeout(show, 1800 - sinceAnswer);
  else show();
});

conn.on('gameLeaderboardUpdate', () => {
  // Scores arrive with every guess event too; the sidebar is rendered from those.
});

conn.on('globalLeaderboardUpdate', (data) => {
  if (Array.isArray(data.leaderboard)) {
    state.leaderboardPushes += 1;
    state.leaderboard = data.leaderboard;
    renderLeaderboard();
    const mine = state.account && data.leaderboard.find((row) => row.name === state.account.name);
    if (mine && mine.totalXP !== state.account.totalXP) refreshProfile();
  }
});

conn.on('error', (data) => {
  if (retryJoinInAnotherLanguage(data)) return;
  const message = data.message || ERROR_TEXT[data.code] || 'Something went wrong.';
  const hint = data.code === 'rate_limited' && data.retryAfter ? ` Try again in ${Math.ceil(data.retryAfter)} s.` : '';
  showError(message + hint, data.code);
  switch (data.event) {
    case 'makeGuess':
      if (state.game) state.game.myGuesses.shift();
      setGuessFeedback(message, 'bad');
      break;
    case 'findMatch':
      if (data.code === 'already_queued') showView('queue');
      else if (state.view === 'queue') showView('lobby');
      break;
    case 'cancelMatch':
      if (state.view === 'queue') showView('lobby');
      break;
    case 'resume':
      // The seat is gone (grace period over, or the match ended meanwhile).
      state.game = null;
      setCountdown(null);
      showView('lobby');
      break;
    case 'joinRoom':
      state.joiningRoom = null;
      setJoinBusy(false);
      if (state.view === 'room' && (!state.game || state.game.phase === 'waiting')) showView('lobby');
      setUrlRoom(null);
      break;
    default:
      break;
  }
});

// ---------------------------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------------------------
function startFindMatch(language, { quiet = false } = {}) {
  state.mode = { type: 'match', language };
  state.game = null;
  if (!send('findMatch', { language })) return;
  if (!quiet || !state.queuedAt) state.queuedAt = Date.now();
  $('queue-status').textContent = `Joining the ${languageName(language)} queue…`;
  showView('queue');
  if (!quiet) $('cancel-match').focus();
}

// An existing room keeps the language it was created with, and the server refuses a join that
// names another one. A shared link carries only the code, so try the other languages quietly.
function retryJoinInAnotherLanguage(error) {
  const attempt = state.joinAttempt;
  if (error.event !== 'joinRoom' || error.code !== 'invalid_field' || !attempt || !ROOM_ID_RE.test(attempt.code)) {
    return false;
  }
  const languages = (state.languages.length ? state.languages : FALLBACK_LANGUAGES).map((l) => l.id);
  const next = languages.find((id) => !attempt.tried.includes(id));
  if (!next) return false;
  attempt.tried.push(next);
  state.mode = { type: 'room', roomId: attempt.code, language: next };
  return send('joinRoom', { roomId: attempt.code, language: next });
}

function requestJoinRoom(rawCode, language) {
  const code = String(rawCode || '').trim();
  if (!ROOM_ID_RE.test(code)) {
    showError('Room codes are 1–32 letters, digits, “-” or “_”, without spaces.');
    $('room-code').focus();
    return;
  }
  $('room-code').value = code;
  if (!send('joinRoom', { roomId: code, language })) return;
  state.joiningRoom = code;
  state.joinAttempt = { code, tried: [language] };
  state.mode = { type: 'room', roomId: code, language };
  setJoinBusy(true);
}

function submitGuess() {
  const input = $('guess-input');
  const text = input.value.trim();
  const game = state.game;
  input.focus();
  if (!text) return;
  if (!game || game.phase !== 'round') {
    setGuessFeedback(game && game.phase === 'intermission'
      ? 'This round is over: the next word is on its way.'
      : 'Hold on: the round has not started yet.', 'info');
    return;
  }
  if (send('makeGuess', { roomId: game.roomId, guess: text })) {
    game.myGuesses.push(text);
    input.value = '';
  }
}

function leaveCurrentRoom() {
  const game = state.game;
  if (game && game.phase !== 'finished') send('leaveRoom', { roomId: game.roomId });
  state.game = null;
  setUrlRoom(null);
  showView('lobby');
}

function playAgain() {
  const mode = state.mode || { type: 'match', language: state.language };
  state.game = null;
  if (mode.type === 'room' && mode.roomId) {
    // Everyone in the old room computes the same next code, so friends meet again.
    requestJoinRoom(nextRoomCode(mode.roomId), mode.language);
    showView('lobby');
  } else {
    startFindMatch(mode.language || state.language);
  }
}

function nextRoomCode(code) {
  const match = /^(.*?)-(\d{1,3})$/.exec(code);
  const base = match ? match[1] : code;
  const n = match ? Number(match[2]) + 1 : 2;
  const suffix = `-${n}`;
  return base.slice(0, 32 - suffix.length) + suffix;
}

function randomRoomCode() {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

// ---------------------------------------------------------------------------------------------
// Accounts
// ---------------------------------------------------------------------------------------------
async function refreshProfile() {
  try {
    state.account = await api.profile();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) state.account = null;
    else if (state.account) showError(`Could not load your profile: ${err.message}`);
  }
  renderAccount();
}

// Results are saved just after the match ends: ask again until the profile counts this game.
async function refreshProfileAfterMatch() {
  if (!state.account || (state.me && state.me.guest)) return;
  const before = state.account.gamesPlayed ?? 0;
  for (const delay of [0, 400, 1000, 2500]) {
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
    await refreshProfile();
    if (!state.account || (state.account.gamesPlayed ?? 0) > before) return;
  }
}

async function refreshLeaderboard() {
  // A pushed update that lands while this request is out is newer than its answer: keep the push.
  const pushesBefore = state.leaderboardPushes;
  try {
    const rows = await api.globalLeaderboard(10);
    if (state.leaderboardPushes === pushesBefore) state.leaderboard = rows;
  } catch (err) {
    showError(`Could not load the leaderboard: ${err.message}`);
  }
  renderLeaderboard();
}

async function handleAuth(form, action, errorNode) {
  const button = form.querySelector('button[type="submit"]');
  errorNode.textContent = '';
  button.disabled = true;
  button.dataset.busy = 'true';
  try {
    await action();
    await refreshProfile();
    form.reset();
    conn.restart();            // the new cookie gives the socket our identity
    notice(`Welcome${state.account ? `, ${state.account.name}` : ''}! Your XP now counts.`);
    refreshLeaderboard();
  } catch (err) {
    const message = err instanceof ApiError ? err.message : 'Something went wrong. Please try again.';
    errorNode.textContent = message;
    showError(message, err.code);
  } finally {
    button.disabled = false;
    delete button.dataset.busy;
  }
}

function validateRegistration(name, email, password) {
  if (name.length < 2 || name.length > 32) return 'Your display name needs 2–32 characters.';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(email)) return 'Please enter an e-mail address like name@example.com.';
  if (password.length < 8) return 'Your password needs at least 8 characters.';
  return null;
}

async function logout() {
  try {
    await api.logout();
  } catch (err) {
    showError(`Logging out failed: ${err.message}`);
    return;
  }
  state.account = null;
  renderAccount();
  conn.restart();
  notice('You are logged out. You can keep playing as a guest.');
  selectAuthTab('tab-login');
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------
function showView(view) {
  const previous = state.view;
  state.view = view;
  document.body.dataset.view = view;
  for (const name of ['lobby', 'queue', 'room', 'game', 'results']) {
    $(`screen-${name}`).hidden = name !== view;
  }
  $('scoreboard-card').hidden = view !== 'game';
  $('account-card').hidden = !['lobby', 'results'].includes(view);
  if (previous !== view) {
    if (view === 'results') $('play-again').focus();
    if (view === 'room') $('copy-link').focus();
    if (view === 'lobby' && ['results', 'game'].includes(previous)) $('find-match').focus();
  }
}

function languageName(id) {
  const found = state.languages.find((l) => l.id === id) || FALLBACK_LANGUAGES.find((l) => l.id === id);
  return found ? found.name : (id ? id[0].toUpperCase() + id.slice(1) : '');
}

function renderLanguages() {
  const box = $('language-options');
  box.replaceChildren();
  const languages = state.languages.length ? state.languages : FALLBACK_LANGUAGES;
  if (!languages.some((l) => l.id === state.language)) state.language = languages[0].id;
  for (const language of languages) {
    const id = `language-${language.id}`;
    const input = h('input', {
      type: 'radio', name: 'language', id, value: language.id, class: 'lang-option__input',
      'data-testid': `language-option-${language.id}`,
      checked: language.id === state.language,
      onchange: () => {
        state.language = language.id;
        localStorage.setItem(STORAGE.language, language.id);
      },
    });
    const flag = h('span', { class: `flag flag--${language.id}`, 'aria-hidden': 'true' }, language.id.slice(0, 2).toUpperCase());
    const label = h('label', { for: id, class: 'lang-option' },
      flag,
      h('span', { class: 'lang-option__text' },
        h('span', { class: 'lang-option__name' }, language.name),
        language.words ? h('span', { class: 'lang-option__meta' }, `${language.words} words`) : null));
    box.append(h('div', { class: 'lang-option__wrap' }, input, label));
  }
}

function renderAccount() {
  const me = state.me;
  const account = state.account;
  const displayName = account ? account.name : (me ? me.username : state.guestName || 'Guest');
  $('whoami').hidden = !me && !account;
  $('whoami').dataset.guest = me ? String(Boolean(me.guest)) : '';
  $('whoami').dataset.playerId = me ? me.id : '';
  $('whoami-name').textContent = displayName;
  $('whoami-tag').textContent = account ? `Level ${account.level ?? 1}` : 'Guest';
  const whoAvatar = $('whoami-avatar');
  whoAvatar.textContent = initials(displayName);
  whoAvatar.style.setProperty('--hue', hueFor(displayName));

  $('profile').hidden = !account;
  $('guest-box').hidden = Boolean(account);
  if (account) {
    $('profile-name').textContent = account.name;
    $('profile-email').textContent = account.email || '';
    const level = account.level ?? 1;
    const xp = account.totalXP ?? 0;
    $('profile-level').textContent = level;
    $('profile-xp').textContent = xp;
    $('profile-games').textContent = account.gamesPlayed ?? 0;
    $('profile-wins').textContent = account.wins ?? 0;
    const pa = $('profile-avatar');
    pa.textContent = initials(account.name);
    pa.style.setProperty('--hue', hueFor(account.name));
    // The server says where in the level we are; older servers did not, so fall back to its curve.
    const into = account.levelProgress ? account.levelProgress.xp : xp - 50 * level * (level - 1);
    const size = account.levelProgress ? account.levelProgress.size : 100 * level;
    const progress = Math.max(0, Math.min(1, into / Math.max(1, size)));
    $('profile-xpbar').style.width = `${Math.round(progress * 100)}%`;
    $('profile-next').textContent = size > into ? `${size - into} XP to level ${level + 1}` : '';
    const streak = account.dailyStreak ? account.dailyStreak.current : 0;
    $('profile-streak').textContent = streak > 1 ? `${streak}-day streak` : '';
    renderAchievements(account.achievements || []);
  } else {
    const guestInput = $('guest-name');
    if (document.activeElement !== guestInput) guestInput.value = state.guestName || (me && me.guest ? me.username : '');
  }
}

function renderAchievements(all) {
  const earned = all.filter((a) => a.earnedAt);
  $('profile-achievements-count').textContent = all.length ? `${earned.length} of ${all.length}` : '';
  $('profile-achievements').replaceChildren(...earned.map((a) => h('li', {
    class: 'badge', 'data-testid': 'achievement', 'data-id': a.id, title: a.description,
  }, a.title)));
  $('profile-achievements-box').hidden = !all.length;
}

function renderLeaderboard() {
  const list = $('leaderboard');
  list.replaceChildren();
  const rows = state.leaderboard || [];
  if (!rows.length) {
    list.append(h('li', { class: 'leaderboard__empty' }, 'No champions yet. Win a match to be the first!'));
    return;
  }
  const mine = state.account && state.account.name;
  rows.forEach((row, index) => {
    list.append(h('li', {
      class: `leaderboard__row${row.name === mine ? ' is-me' : ''}`,
      'data-testid': 'leaderboard-row',
      'data-name': row.name,
      'data-xp': row.totalXP,
    },
    h('span', { class: `rank rank--${index + 1}` }, String(index + 1)),
    avatar(row.name),
    h('span', { class: 'leaderboard__name' }, row.name, row.name === mine ? h('span', { class: 'you-tag' }, 'you') : null),
    h('span', { class: 'leaderboard__meta' },
      h('span', { class: 'leaderboard__xp', 'data-testid': 'leaderboard-xp' }, `${row.totalXP} XP`),
      row.level ? h('span', { class: 'muted small' }, `Lv ${row.level}`) : null)));
  });
}

function renderRoom() {
  const game = state.game;
  if (!game || !game.private) return;
  $('room-title-code').textContent = game.roomId;
  $('room-language').textContent = languageName(game.language);
  $('room-share-link').value = `${location.origin}/?room=${encodeURIComponent(game.roomId)}`;
  $('room-count').textContent = `(${game.players.length}/${game.maxPlayers})`;
  const list = $('room-players');
  list.replaceChildren();
  for (const player of game.players) {
    list.append(h('li', { class: 'player-list__item', 'data-testid': 'room-player', 'data-player-id': player.id },
      avatar(player.username), h('span', {}, player.username), isMe(player) ? h('span', { class: 'you-tag' }, 'you') : null));
  }
  for (let i = game.players.length; i < Math.max(2, Math.min(game.maxPlayers, game.players.length + 1)); i += 1) {
    list.append(h('li', { class: 'player-list__item player-list__item--empty' },
      h('span', { class: 'avatar avatar--empty', 'aria-hidden': 'true' }, '?'), h('span', {}, 'Waiting for a friend…')));
  }
}

function renderGame({ fresh = false, revealed = [], answer = false } = {}) {
  const game = state.game;
  if (!game) return;
  const stage = $('stage');
  stage.dataset.phase = game.phase;
  $('game-language').textContent = languageName(game.language);
  $('stage-language').textContent = languageName(game.language);
  const label = $('round-label');
  if (game.phase === 'starting') label.textContent = 'Get ready';
  else if (game.round) label.textContent = `Round ${game.round} of ${game.totalRounds}`;

  const prompt = $('prompt');
  if (game.phase === 'starting' || !game.translation) {
    prompt.textContent = 'Get ready…';
    prompt.classList.add('prompt--waiting');
  } else {
    prompt.textContent = game.translation;
    prompt.classList.remove('prompt--waiting');
    prompt.classList.toggle('prompt--long', game.translation.length > 12);
  }
  renderMask(game.hint, { fresh, revealed, answer });

  const result = $('round-result');
  if (game.phase === 'intermission' && game.lastResult) {
    const { word, winner } = game.lastResult;
    const who = winner ? (isMe(winner) ? 'You found it!' : `${nameOf(winner)} found it.`) : 'Time’s up!';
    result.replaceChildren(
      h('span', { class: 'round-result__who' }, who),
      ' The answer was ',
      h('strong', { class: 'answer', 'data-testid': 'answer-word', lang: langTag(game.language) }, word),
      '.',
      h('span', { class: 'round-result__next' },
        game.round < game.totalRounds ? ' Next word coming up…' : ' Final results coming up…'),
    );
    result.dataset.outcome = winner ? (isMe(winner) ? 'won' : 'lost') : 'timeout';
    result.hidden = false;
  } else {
    result.hidden = true;
    result.replaceChildren();
  }
  $('guess-input').setAttribute('aria-disabled', game.phase === 'round' ? 'false' : 'true');
  tick();
}

function renderMask(hint, { fresh, revealed, answer }) {
  const mask = $('mask');
  mask.dataset.hint = hint || '';
  mask.replaceChildren();
  if (!hint) {
    mask.setAttribute('aria-label', 'The word appears when the round starts');
    return;
  }
  const newly = new Set(revealed);
  let letters = 0;
  const words = [];
  let current = [];
  [...hint].forEach((ch, index) => {
    if (ch === ' ') {
      words.push(current);
      current = [];
      return;
    }
    let tile;
    if (ch === '_') {
      letters += 1;
      tile = h('span', { class: 'tile tile--hidden' }, '');
    } else if ("-'’.".includes(ch)) {
      tile = h('span', { class: 'tile tile--punct' }, ch);
    } else {
      letters += 1;
      tile = h('span', { class: `tile tile--shown${newly.has(index) ? ' tile--new' : ''}${answer ? ' tile--answer' : ''}` }, ch);
    }
    if (fresh) tile.style.animationDelay = `${index * 30}ms`;
    if (fresh) tile.classList.add('tile--enter');
    current.push(tile);
    if (ch === '-') {
      // Long hyphenated answers may wrap after the hyphen.
      words.push(current);
      current = [];
    }
  });
  words.push(current);
  const inner = h('div', { class: 'mask__inner' });
  for (const word of words.filter((w) => w.length)) inner.append(h('span', { class: 'mask__word' }, word));
  mask.append(inner);
  const spoken = [...hint].map((c) => (c === '_' ? 'blank' : c === ' ' ? 'space' : c)).join(', ');
  mask.setAttribute('aria-label', `${plural(letters, 'letter')}: ${spoken}`);
  mask.style.setProperty('--tiles', Math.max(...words.map((w) => w.length), 1));
}

function renderScoreboard({ bump } = {}) {
  const game = state.game;
  const list = $('scoreboard');
  list.replaceChildren();
  if (!game) return;
  const rows = [...game.players].sort((a, b) => (game.scores[b.id] || 0) - (game.scores[a.id] || 0));
  const top = rows.length ? (game.scores[rows[0].id] || 0) : 0;
  rows.forEach((player, index) => {
    const score = game.scores[player.id] || 0;
    const item = h('li', {
      class: `score-row${isMe(player) ? ' is-me' : ''}${bump === player.id ? ' score-row--bump' : ''}`,
      'data-testid': 'score-row', 'data-player-id': player.id, 'data-name': player.username, 'data-score': score,
    },
    h('span', { class: 'rank' }, String(index + 1)),
    avatar(player.username),
    h('span', { class: 'score-row__name' }, player.username, isMe(player) ? h('span', { class: 'you-tag' }, 'you') : null),
    h('span', { class: 'score-row__score', 'data-testid': 'score-value' }, String(score)));
    const bar = h('span', { class: 'score-row__bar', 'aria-hidden': 'true' });
    bar.style.width = `${top > 0 ? Math.round((score / top) * 100) : 0}%`;
    item.append(bar);
    list.append(item);
  });
}

function renderResults() {
  const game = state.game;
  const standings = game.standings || [];
  const list = $('standings');
  list.replaceChildren();
  const winner = game.winner;
  const title = $('results-title');
  if (winner && isMe(winner)) title.textContent = 'You won!';
  else if (winner) title.textContent = `${nameOf(winner)} wins!`;
  else title.textContent = standings.length > 1 ? 'It’s a draw!' : 'Match over';
  standings.forEach((row, index) => {
    const xpText = row.guest ? `+${row.xp} XP (guest, not saved)` : `+${row.xp} XP`;
    list.append(h('li', {
      class: `standing${isMe(row) ? ' is-me' : ''}${winner && winner.id === row.id ? ' standing--winner' : ''}`,
      'data-testid': 'standing-row', 'data-name': row.username, 'data-score': row.score, 'data-xp': row.xp,
    },
    h('span', { class: `standing__place standing__place--${index + 1}`, 'aria-label': `Place ${index + 1}` }, String(index + 1)),
    avatar(row.username),
    h('span', { class: 'standing__name' }, row.username, isMe(row) ? h('span', { class: 'you-tag' }, 'you') : null),
    h('span', { class: 'standing__score' }, h('strong', {}, String(row.score)), h('span', { class: 'muted small' }, ' pts')),
    h('span', { class: `standing__xp${row.guest ? ' standing__xp--guest' : ''}`, 'data-testid': 'standing-xp' }, xpText)));
  });
  renderRecap(game);
  const mine = standings.find((row) => isMe(row));
  const note = $('results-note');
  if (mine && mine.guest) note.textContent = 'Guests keep no XP. Create an account to save your progress and climb the leaderboard.';
  else if (mine) note.textContent = `You earned ${mine.xp} XP. It has been added to your total.`;
  else note.textContent = '';
  const confetti = $('screen-results').querySelector('.confetti');
  confetti.replaceChildren();
  if (winner && isMe(winner)) {
    for (let i = 0; i < 28; i += 1) {
      const bit = h('i');
      bit.style.setProperty('--x', `${Math.random() * 100}%`);
      bit.style.setProperty('--d', `${Math.random() * 0.8}s`);
      bit.style.setProperty('--h', `${Math.floor(Math.random() * 360)}`);
      bit.style.setProperty('--r', `${Math.floor(Math.random() * 360)}deg`);
      confetti.append(bit);
    }
  }
  $('play-again').textContent = state.mode && state.mode.type === 'room' ? 'Play again (same friends)' : 'Play again';
}

function renderRecap(game) {
  const list = $('recap');
  list.replaceChildren();
  const rounds = [...(game.history || [])].sort((a, b) => a.round - b.round);
  $('recap-box').hidden = rounds.length === 0;
  for (const round of rounds) {
    const who = round.winner ? (isMe(round.winner) ? 'you' : round.winner.username) : 'nobody';
    list.append(h('li', { class: 'recap__item', 'data-testid': 'recap-item' },
      h('span', { class: 'recap__en' }, round.translation),
      h('span', { class: 'recap__arrow', 'aria-hidden': 'true' }, '→'),
      h('strong', { class: 'recap__word', lang: langTag(game.language) }, round.word),
      h('span', { class: 'recap__who muted small' }, `found by ${who}`)));
  }
}

// ---------------------------------------------------------------------------------------------
// Feed, feedback, toasts
// ---------------------------------------------------------------------------------------------
const FEED_ICONS = { exact: '★', partial: '◐', wrong: '✕', join: '→', leave: '←', round: '•', answer: '✓', info: 'i' };

function addFeed(kind, text, player) {
  const feed = $('feed');
  const item = h('li', { class: `feed__item feed__item--${kind}`, 'data-testid': 'feed-item', 'data-kind': kind },
    h('span', { class: 'feed__icon', 'aria-hidden': 'true' }, FEED_ICONS[kind] || '•'),
    h('span', { class: 'feed__text' }, text));
  if (player && player.id) item.dataset.playerId = player.id;
  feed.prepend(item);
  while (feed.children.length > 60) feed.lastElementChild.remove();
}

function clearFeed() {
  $('feed').replaceChildren();
}

function setGuessFeedback(text, tone = 'info') {
  const node = $('guess-feedback');
  node.textContent = text;
  node.dataset.tone = tone;
}

function toast(text, kind, code) {
  const box = $('toasts');
  const item = h('div', {
    class: `toast toast--${kind}`,
    'data-testid': kind === 'error' ? 'error-message' : 'notice',
    'data-code': code || null,
  },
  h('span', { class: 'toast__icon', 'aria-hidden': 'true' }, kind === 'error' ? '!' : 'i'),
  h('span', { class: 'toast__text' }, text),
  h('button', { type: 'button', class: 'toast__close', 'aria-label': 'Dismiss message', onclick: () => item.remove() }, '×'));
  box.append(item);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 9000 : 3500);
}

function showError(text, code) {
  toast(text, 'error', code);
}

function notice(text) {
  toast(text, 'info');
}

function shake(node) {
  node.classList.remove('shake');
  void node.offsetWidth; // restart the animation
  node.classList.add('shake');
}

// ---------------------------------------------------------------------------------------------
// Countdown
// ---------------------------------------------------------------------------------------------
function setCountdown(serverMs, expectedSpan) {
  const game = state.game;
  if (!game) return;
  if (!serverMs) {
    game.deadline = 0;
    game.span = 0;
    tick();
    return;
  }
  const now = Date.now();
  let remaining = serverMs - now;
  // Trust the server's epoch time unless our clock is clearly off from it.
  if (expectedSpan && Math.abs(remaining - expectedSpan) > 1500) remaining = expectedSpan;
  game.deadline = now + remaining;
  game.span = Math.max(remaining, 1);
  tick();
}

function tick() {
  if (state.view === 'queue' && state.queuedAt) {
    const seconds = Math.floor((Date.now() - state.queuedAt) / 1000);
    $('queue-elapsed').textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }
  const game = state.game;
  const text = $('countdown');
  const bar = $('timer-bar');
  const wrap = text.parentElement;
  if (!game || !game.deadline) {
    text.textContent = game && game.phase === 'finished' ? '0' : '–';
    bar.style.strokeDashoffset = '0';
    wrap.dataset.urgent = 'false';
    return;
  }
  const left = Math.max(0, game.deadline - Date.now());
  const seconds = Math.ceil(left / 1000);
  text.textContent = String(seconds);
  const circumference = 97.4;
  bar.style.strokeDasharray = `${circumference}`;
  bar.style.strokeDashoffset = `${circumference * (1 - left / game.span)}`;
  wrap.dataset.urgent = game.phase === 'round' && seconds <= 5 ? 'true' : 'false';
  wrap.dataset.phase = game.phase;
  const labels = { starting: 'Seconds until the match starts', round: 'Seconds left in this round', intermission: 'Seconds until the next word' };
  text.setAttribute('aria-label', `${labels[game.phase] || 'Seconds'}: ${seconds}`);
}

setInterval(tick, 200);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------
function isMe(player) {
  return Boolean(player && state.me && player.id === state.me.id);
}

function nameOf(player) {
  if (!player) return 'Someone';
  return isMe(player) ? 'You' : (player.username || 'Someone');
}

function isCurrentRoom(roomId) {
  return Boolean(state.game && state.game.roomId === roomId);
}

function langTag(language) {
  return { french: 'fr', spanish: 'es', german: 'de', italian: 'it', portuguese: 'pt' }[language] || undefined;
}

function setUrlRoom(code) {
  const url = new URL(location.href);
  if (code) url.searchParams.set('room', code);
  else url.searchParams.delete('room');
  if (url.href !== location.href) history.replaceState(null, '', url);
}

function setJoinBusy(busy) {
  const button = $('join-room');
  button.disabled = busy;
  button.textContent = busy ? 'Joining…' : 'Join room';
}

function focusGuess() {
  const input = $('guess-input');
  if (state.view === 'game' && document.activeElement !== input) input.focus({ preventScroll: true });
}

async function copyShareLink() {
  const input = $('room-share-link');
  try {
    await navigator.clipboard.writeText(input.value);
    notice('Link copied. Send it to a friend!');
  } catch {
    input.select();
    const ok = document.execCommand && document.execCommand('copy');
    if (ok) notice('Link copied. Send it to a friend!');
    else showError('Could not copy automatically: select the link and copy it yourself.');
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------------
const AUTH_TABS = { 'tab-login': 'login-form', 'tab-register': 'register-form' };

function selectAuthTab(id, focus = true) {
  for (const [tabId, panelId] of Object.entries(AUTH_TABS)) {
    const on = tabId === id;
    $(tabId).setAttribute('aria-selected', String(on));
    $(tabId).tabIndex = on ? 0 : -1;
    $(panelId).hidden = !on;
  }
  if (focus) $(id).focus();
}

function bindTabs() {
  const tabs = Object.keys(AUTH_TABS).map((id) => $(id));
  const select = (tab, focus = true) => selectAuthTab(tab.id, focus);
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        e.preventDefault();
        select(tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length]);
      }
    });
  });
}

function bind() {
  bindTabs();
  $('find-match').addEventListener('click', () => startFindMatch(state.language));
  $('cancel-match').addEventListener('click', () => {
    if (!send('cancelMatch', {})) return;
    $('queue-status').textContent = 'Leaving the queue…';
  });
  $('room-form').addEventListener('submit', (e) => {
    e.preventDefault();
    requestJoinRoom($('room-code').value, state.language);
  });
  $('random-room').addEventListener('click', () => {
    $('room-code').value = randomRoomCode();
    $('room-code').focus();
  });
  $('copy-link').addEventListener('click', copyShareLink);
  $('leave-room').addEventListener('click', leaveCurrentRoom);
  $('quit-game').addEventListener('click', leaveCurrentRoom);
  $('guess-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submitGuess();
  });
  $('play-again').addEventListener('click', playAgain);
  $('back-to-lobby').addEventListener('click', () => {
    state.game = null;
    showView('lobby');
  });
  $('reconnect-now').addEventListener('click', () => conn.restart());

  $('guest-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('guest-name').value.trim().replace(/\s+/g, ' ');
    if (name && (name.length < 2 || name.length > 32)) {
      showError('Guest names need 2–32 characters.');
      return;
    }
    state.guestName = name;
    if (name) localStorage.setItem(STORAGE.guestName, name);
    else localStorage.removeItem(STORAGE.guestName);
    conn.restart();
    notice(name ? `You play as “${name}”.` : 'You play with a generated guest name.');
  });

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const email = $('login-email').value.trim();
    const password = $('login-password').value;
    if (!email || !password) {
      $('login-error').textContent = 'Please enter your e-mail and password.';
      return;
    }
    handleAuth(e.currentTarget, () => api.login(email, password), $('login-error'));
  });

  $('register-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('register-name').value.trim().replace(/\s+/g, ' ');
    const email = $('register-email').value.trim();
    const password = $('register-password').value;
    const problem = validateRegistration(name, email, password);
    if (problem) {
      $('register-error').textContent = problem;
      return;
    }
    handleAuth(e.currentTarget, () => api.register(name, email, password), $('register-error'));
  });

  $('logout').addEventListener('click', logout);

  // During a round, typing anywhere goes to the answer box.
  document.addEventListener('keydown', (e) => {
    if (state.view !== 'game' || e.ctrlKey || e.metaKey || e.altKey) return;
    const input = $('guess-input');
    const target = e.target;
    if (target === input || (target && ['INPUT', 'TEXTAREA', 'BUTTON', 'A'].includes(target.tagName))) return;
    if (e.key.length === 1) input.focus();
  });
}

async function init() {
  bind();
  showView('lobby');
  renderLanguages();
  renderAccount();

  const params = new URLSearchParams(location.search);
  const room = params.get('room');
  if (room) {
    $('room-code').value = room;
    if (ROOM_ID_RE.test(room)) state.pendingRoom = room;
    else showError('That link has an invalid room code. Room codes are letters, digits, “-” or “_”.');
  }
  const lang = params.get('lang');
  if (lang) state.language = lang;

  const [languages, profile] = await Promise.allSettled([api.languages(), api.profile()]);
  if (languages.status === 'fulfilled' && Array.isArray(languages.value) && languages.value.length) {
    state.languages = languages.value;
  } else if (languages.status === 'rejected') {
    showError(`Could not load the languages: ${languages.reason.message}`);
  }
  renderLanguages();
  state.account = profile.status === 'fulfilled' ? profile.value : null;
  renderAccount();
  conn.start();
  refreshLeaderboard();
}

init();
