// The widget's requests to its API: the time limit, cancellation, the
// answer's status and size, and one request per URL however many widgets
// ask for it. Both wasm modules call `request` (the loader hands it to each
// as it starts): wasm-bindgen cannot share code between two modules, and
// this path is mostly calls into the browser, so it is written once here
// instead of compiled into each module (src/http.rs is its Rust half).
//
// A request resolves to the answer's JSON. It rejects with a string that
// `WidgetError::from_code_string` reads ("timeout", "server:503",
// "rate-limited:60", and for a form the API refused field by field (422)
// "refused:body=too_short author=required").

/** How long a request may take, reading its answer included. */
const TIMEOUT_MS = 10_000;
/**
 * A message to a friend waits for the mail server, which the backend
 * gives 20 s: a reader told "not sent" sooner may send it twice.
 */
const SEND_TIMEOUT_MS = 30_000;
/** Larger answers are refused unread: no page of the API comes near it. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * How long an early response waits to be read. A widget asks within
 * moments of its module starting; one that has not by then (destroyed
 * before it mounted, or mounted with other options) never will, and the
 * answer, read or not, is let go. A module slower than this to arrive only
 * asks again.
 */
const EARLY_KEEP_MS = 60_000;

/**
 * How long a page fetched ahead (`fetchAhead`) waits for its reader, who
 * reads the page before it first: minutes.
 */
const AHEAD_KEEP_MS = 10 * 60_000;

const early = new Map(); // url → { response, answer, controller, failed, timer, ahead }: fetch()es the loader started before a module asked
const shared = new Map(); // url → { answer, controller, waiters, early, failed }: GETs in flight

/**
 * Requests `url` now, while the modules download; the first GET of `url`
 * takes its answer. With `again` (a module's "retry"), an early request
 * that failed is made anew rather than handed over failed. `ahead`: a
 * page fetched ahead (`fetchAhead`).
 */
export function requestEarly(url, again = false, ahead = false) {
  if (early.has(url) && !(again && early.get(url).failed)) return;
  const controller = new AbortController();
  const response = fetch(url, { mode: 'cors', credentials: 'omit', signal: controller.signal });
  // Read as it arrives, while the modules download: the widget that asks
  // then has the answer within the task it asks in, where reading it then
  // took tasks of its own and a frame between them.
  const answer = response.then(readJson);
  const entry = { response, answer, controller, failed: false, ahead };
  // The widget reports failures, not the console. A "retry" asks anew
  // after any failure, the answer's (a 503, a body cut short) too.
  answer.catch(() => { entry.failed = true; });
  early.get(url)?.controller.abort(); // a failed one, replaced
  early.set(url, entry);
  entry.timer = setTimeout(() => {
    if (early.get(url) !== entry) return; // read
    early.delete(url);
    controller.abort();
  }, ahead ? AHEAD_KEEP_MS : EARLY_KEEP_MS);
}

/**
 * Asks anew for each of `urls` whose early request has already failed (not
 * a page fetched ahead: its GET does that). A widget opened now, which
 * asks for them, was not there to see the failure (a view mounted again
 * after its first went, briefly offline), and would otherwise be handed it
 * for a minute. A widget there when it failed, not yet mounted, takes the
 * new answer in its place.
 */
export function askFailedAgain(urls) {
  for (const url of urls) {
    const entry = early.get(url);
    if (entry?.failed && !entry.ahead) {
      clearTimeout(entry.timer);
      requestEarly(url, true);
    }
  }
}

/**
 * Fetches `url` before a GET asks for it (a comment section's next page,
 * once its reader pages), for AHEAD_KEEP_MS, unless a GET of it is on its
 * way. If it fails, the GET that takes it asks anew (`send`).
 */
export function fetchAhead(url) {
  if (!shared.has(url)) requestEarly(url, true, true);
}

/** Drops what `fetchAhead` fetched for `url`, unless a GET took it. */
export function forgetAhead(url) {
  const entry = early.get(url);
  if (!entry) return;
  clearTimeout(entry.timer);
  entry.controller.abort();
  early.delete(url);
}

/** Number of early responses no GET has read yet (leak checks). */
export const waitingEarly = () => early.size;

/** Number of distinct GETs in flight (leak checks and benchmarks). */
export const inFlight = () => shared.size;

/**
 * GETs `url`, or POSTs `body` (a JSON string) to it, until `signal` aborts.
 * Concurrent GETs of one URL share a request, which is cancelled once none
 * of its callers waits any more; every POST is its own.
 */
export async function request(url, body, signal) {
  if (signal.aborted) throw 'aborted';
  if (body != null) return send(url, body, signal);
  let entry = shared.get(url);
  if (!entry) {
    const controller = new AbortController();
    entry = { early: early.has(url), controller, waiters: 0, failed: false };
    entry.answer = send(url, undefined, controller.signal);
    entry.answer.catch(() => { entry.failed = true; });
    shared.set(url, entry);
  }
  entry.waiters += 1;
  try {
    return await unlessAborted(entry.answer, signal);
  } finally {
    entry.waiters -= 1;
    // An early answer is in at once; the widgets mounted with the one that
    // took it, each rendering (and asking) a task after the one before
    // (src/task.rs), or once its language's catalog is in, share it, or
    // its failure, as they would share a request still in flight: until
    // the module's pass of mounting ends (`holdEarly`), else a task more.
    if (!entry.waiters && entry.early) {
      // A failure is not kept past its task: a "retry", or a widget
      // mounted again, asks anew (`askFailedAgain`).
      if (holding && !entry.failed) held.set(url, entry);
      else setTimeout(() => release(url, entry), 0);
    } else release(url, entry);
  }
}

let holding = 0; // passes of mounting under way (`holdEarly`)
const held = new Map(); // url → shared GET of an early answer, kept for the widgets of a pass still to ask

/**
 * Keeps the early answers widgets read until `until` settles (the
 * catalogs the widgets a module just mounted wait for), and a task more for
 * the widgets it lets go to ask, or at most TIMEOUT_MS: a widget whose
 * catalog came late asks for what the others asked for with them.
 */
export function holdEarly(until) {
  holding += 1;
  let timer;
  const limit = new Promise((resolve) => { timer = setTimeout(resolve, TIMEOUT_MS); });
  Promise.race([until, limit]).finally(() => setTimeout(() => {
    clearTimeout(timer);
    holding -= 1;
    if (holding) return;
    for (const [url, entry] of held) release(url, entry);
    held.clear();
  }, 0));
}

/** Ends the shared GET `entry` of `url` once no caller waits for it. */
function release(url, entry) {
  if (entry.waiters) return;
  if (shared.get(url) === entry) shared.delete(url);
  entry.controller.abort(); // harmless once it has answered
}

/** `promise`'s outcome, or the rejection "aborted" as soon as `signal` aborts. */
function unlessAborted(promise, signal) {
  let stop;
  const aborted = new Promise((_, reject) => {
    stop = () => reject('aborted');
    signal.addEventListener('abort', stop);
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', stop));
}

/** One request and the reading of its answer, within the time limit; failures as code strings. */
async function send(url, body, signal) {
  const controller = new AbortController();
  const cancel = () => controller.abort();
  signal.addEventListener('abort', cancel);
  let timedOut = false;
  const limit = body != null && /\/send$/.test(url) ? SEND_TIMEOUT_MS : TIMEOUT_MS;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, limit);
  try {
    const init = { mode: 'cors', credentials: 'omit', signal: controller.signal, method: 'GET' };
    if (body != null) Object.assign(init, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const prefetched = body == null && early.get(url);
    if (prefetched) {
      early.delete(url);
      clearTimeout(prefetched.timer);
      // The early request is this GET's now: it ends with it.
      controller.signal.addEventListener('abort', () => prefetched.controller.abort());
    }
    if (prefetched?.ahead) {
      // A page fetched ahead that failed is asked for anew: the reader is
      // told of the request they made, not of one made for them.
      return await unlessAborted(prefetched.answer.catch(() => fetch(url, init).then(readJson)), controller.signal);
    }
    let response;
    try {
      response = await unlessAborted(prefetched ? prefetched.response : fetch(url, init), controller.signal);
    } catch {
      throw 'network';
    }
    const answer = prefetched ? prefetched.answer : body == null ? readJson(response) : readPosted(response);
    return await unlessAborted(answer, controller.signal);
  } catch (e) {
    const failure = typeof e === 'string' ? e : 'network';
    const name = failure.split(':')[0];
    // The time limit aborts the request: whatever that broke is a timeout.
    if (timedOut && ['network', 'bad-response', 'aborted'].includes(name)) throw 'timeout';
    if (controller.signal.aborted && !timedOut) throw 'aborted';
    throw failure;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', cancel);
  }
}

/** The error a status means (`null` for success), as the widget names it. */
function statusError(status) {
  if (status >= 200 && status < 300) return null;
  if (status === 404 || status === 410) return 'not-found';
  // Reads are open to every origin: a read refused is a page outside the
  // backend's site (the body is not worth reading).
  if (status === 403) return 'not-allowed:url_not_allowed';
  return `server:${status}`;
}

/** Checks the status and size of `response` and reads its body as JSON. */
async function readJson(response) {
  const failure = statusError(response.status);
  if (failure) throw failure;
  const length = response.headers.get('content-length');
  if (length && Number(length) > MAX_RESPONSE_BYTES) throw 'bad-response:response too large';
  // Counted as it comes: a chunked or compressed answer names no length.
  // Decoded as it comes, too: a Blob's text() would read it once more, a
  // task later.
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (let part = await reader?.read(); part && !part.done; part = await reader.read()) {
    size += part.value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      reader.cancel();
      throw 'bad-response:response too large';
    }
    text += decoder.decode(part.value, { stream: true });
  }
  try {
    return JSON.parse(text + decoder.decode());
  } catch (e) {
    throw `bad-response:not JSON: ${e?.message ?? e}`;
  }
}

/** The answer to a POST: refusals by their status, else the JSON. */
async function readPosted(response) {
  const body = () => response.json().catch(() => null);
  switch (response.status) {
    case 422: {
      // "refused:author=required body=too_short": each refused field of the
      // form and why, in the API's words (anything else is left out).
      const fields = (await body())?.error?.fields;
      const pairs = Object.entries(fields && typeof fields === 'object' ? fields : {})
        .map(([name, field]) => [name, typeof field?.code === 'string' ? field.code : 'invalid'])
        .filter((pair) => pair.every((word) => /^[\w.-]{1,64}$/.test(word)));
      throw `refused:${pairs.map((pair) => pair.join('=')).join(' ')}`;
    }
    case 429: {
      // Seconds only; a date (or nothing) means the default 30.
      const header = (response.headers.get('retry-after') ?? '').trim();
      const seconds = /^\d{1,9}$/.test(header) ? Number(header) : 30;
      throw `rate-limited:${Math.min(Math.max(seconds, 1), 3600)}`;
    }
    case 403: {
      // The embed itself refused (another origin, a page outside the
      // site), or only this article's comments. Another 403 (a firewall's
      // page in front of the API) closes nothing: an error, the form kept.
      const code = (await body())?.error?.code;
      if (code === 'origin_not_allowed' || code === 'url_not_allowed') throw `not-allowed:${code}`;
      throw code === 'comments_closed' ? 'comments-closed' : 'server:403';
    }
    default:
      return readJson(response);
  }
}

/**
 * Calls `then(value, true)` or `then(reason, false)` once `promise` settles
 * (a value that is not a promise counts as fulfilled): how a wasm module
 * waits for a request, a catalog or the comments module (src/task.rs). One
 * function for both outcomes, so that the module's callback is called
 * exactly once and freed.
 */
export function settle(promise, then) {
  Promise.resolve(promise).then((value) => then(value, true), (reason) => then(reason, false));
}
