// A test origin in front of khabar-server: it serves its own pages (with
// the headers a test asks for, such as a strict CSP), forwards everything
// else to the real server, and can break the API on demand the ways real
// backends break.
import { createServer, request } from 'node:http';
import { staticFile } from './helpers.mjs';

/** What `proxy.fault` can be set to; each applies to `/api/` requests only. */
export const FAULTS = {
  /** Nothing listens: connection refused. */
  down: 'down',
  /** The connection is reset before any answer. */
  reset: 'reset',
  /** 500 with a JSON error body. */
  error500: '500',
  /** 503 with Retry-After, as a backend under maintenance. */
  unavailable503: '503',
  /** No answer for 12 s, longer than the widget's 10 s limit. */
  stall: 'stall',
  /** The real answer cut in the middle (valid HTTP framing). */
  truncated: 'truncated',
  /** Valid JSON of the wrong shape. */
  shape: 'shape',
  /** A 10 MB answer. */
  huge: 'huge',
  /** A 10 MB answer without its length (chunked, as a stream or a compressing proxy sends). */
  hugeChunked: 'huge-chunked',
  /** An HTML error page with status 200, as a misconfigured proxy sends. */
  html: 'html',
};

const CORS = { 'access-control-allow-origin': '*' };

/**
 * Starts the origin. `target` is khabar-server's URL; `root` (optional) a
 * directory whose files are served instead of forwarded, with `headers`.
 */
export async function startProxy({ target, root, headers = {} }) {
  const upstream = new URL(target);
  const sockets = new Set();
  const state = { fault: null, faulted: 0 };

  const forward = (req, res, body, rewrite) => {
    const up = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      // The original Host: the server builds absolute URLs from it.
      headers: { ...req.headers },
    }, (answer) => {
      if (!rewrite) {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => rewrite(answer, Buffer.concat(chunks)));
    });
    up.on('error', () => { res.destroy(); });
    up.end(body);
  };

  const serveFile = (req, res) => {
    const found = root && staticFile(root, req.url);
    if (!found) return false;
    res.writeHead(200, { 'content-type': found.type, ...headers });
    res.end(found.body);
    return true;
  };

  const faulty = (req, res, body) => {
    state.faulted += 1;
    switch (state.fault) {
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case '500':
        res.writeHead(500, { 'content-type': 'application/json', ...CORS });
        res.end('{"error":{"code":"internal","message":"database is on fire"}}');
        return;
      case '503':
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5', ...CORS });
        res.end('maintenance');
        return;
      case 'stall':
        setTimeout(() => forward(req, res, body), 12_000);
        return;
      case 'truncated':
        forward(req, res, body, (answer, whole) => {
          const cut = whole.subarray(0, Math.floor(whole.length / 2));
          res.writeHead(answer.statusCode, { 'content-type': 'application/json', ...CORS });
          res.end(cut);
        });
        return;
      case 'shape':
        res.writeHead(200, { 'content-type': 'application/json', ...CORS });
        res.end('[{"items":"nope","title":42,"body":{"html":true}}]');
        return;
      case 'huge': {
        const big = `{"id":"x","title":"${'x'.repeat(10 * 1024 * 1024)}"}`;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big), ...CORS });
        res.end(big);
        return;
      }
      case 'huge-chunked': {
        // A valid article, 10 MB of it (its title), in 1 MB chunks with no
        // length given: only its size is wrong.
        res.writeHead(200, { 'content-type': 'application/json', ...CORS });
        res.write('{"id":"x","published_at":"2026-11-27T08:00:00Z","title":"');
        const mega = 'x'.repeat(1024 * 1024);
        for (let i = 0; i < 10; i++) res.write(mega);
        res.end('"}');
        return;
      }
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html', ...CORS });
        res.end('<!doctype html><title>502 Bad Gateway</title><h1>Bad Gateway</h1>');
        return;
      default:
        res.destroy();
    }
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (state.fault && state.fault !== 'down' && req.url.startsWith('/api/') && req.method !== 'OPTIONS') {
        faulty(req, res, body);
      } else if (!serveFile(req, res)) {
        forward(req, res, body);
      }
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/`,
    /** How many API requests met a fault. */
    get faulted() { return state.faulted; },
    /** Sets the fault (one of FAULTS' values, or null for none). */
    async setFault(fault) {
      if (fault === 'down' && state.fault !== 'down') {
        state.fault = 'down';
        await new Promise((resolve) => { server.close(resolve); for (const s of sockets) s.destroy(); });
        return;
      }
      if (state.fault === 'down' && fault !== 'down') {
        await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
      }
      state.fault = fault;
    },
    async close() {
      if (state.fault === 'down') return;
      await new Promise((resolve) => { server.close(resolve); for (const s of sockets) s.destroy(); });
    },
  };
}
