#!/usr/bin/env node
// Benchmark of the real khabar-server (run by `cargo xtask bench`).
//
//   node bench/server.mjs --server-bin target/server/khabar-server --www www \
//     --widget-dir target/widget [--seconds 10] [--engines sqlite,postgres] \
//     [--out result.json]
//
// Build the server first: `cargo build --profile server -p khabar-server`.
// The load generator is wrk (Debian package `wrk`; installed with apt-get
// when missing and running as root). Its Lua scripts are in bench/wrk/.
//
// What it does:
//
// 1. Starts the server on a fresh SQLite database in a temporary directory
//    (`serve --listen 127.0.0.1:0 --moderation post --comment-rate 100000000
//    --read-cache on`: comments appear at once, and the per-client limit,
//    which keys on the IP and so sees every benchmark connection as one
//    client, never bites while its code still runs), lets it load the demo
//    articles, stops it (SIGTERM) to measure the empty database, and starts
//    it again.
// 2. Seeds one article with 1,000 top-level comments (POSTs, 16 at a time).
// 3. Read cache, SQLite: starts a second server on the same database with
//    `--read-cache off`, warms both up (1 s of wrk each per endpoint), then
//    measures GET article and GET comments (below) at 16 and 64 connections
//    on both, alternating: each (endpoint, connections) pair runs four wrk
//    slices of `--seconds`/2 (rounded, at least 1 s), on, off, off, on for
//    the first pair, off, on, on, off for the next, and so on, so that each
//    side gets `--seconds` in all and drift on a shared machine (other
//    work, thermal) falls on both sides alike. Stops the second server.
// 4. Runs wrk for `--seconds` at 1, 16 and 64 connections (one wrk thread
//    for 1 connection, two otherwise) against the first server (cache on):
//    - get_article        GET  /api/v1/articles/{id}
//    - get_comments_1000  GET  /api/v1/articles/{id}/comments on the seeded
//                         article: the widget's first page (no query: 20
//                         top-level comments, oldest first, with replies)
//    - post_comment       POST /api/v1/articles/{id}/comments on another
//                         article: a new comment per request, fresh
//                         idempotency key (bench/wrk/post_comment.lua)
//    Requests carry no Accept-Encoding, so answers are not compressed.
// 5. Counts the stored comments (the seeded ones plus every POST), stops the
//    server with SIGTERM (its pool closes, SQLite checkpoints the WAL) and
//    measures the database (the file plus any -wal left).
// 6. Read cache, PostgreSQL: starts a private cluster in a temporary
//    directory (Debian's newest /usr/lib/postgresql/N/bin; initdb as the
//    `postgres` user when running as root; trust authentication, loopback
//    only, a free port; default settings otherwise), creates one database,
//    starts a server on it with --read-cache on (--demo loads the
//    articles), seeds 1,000 comments as in 2, starts a second server with
//    --read-cache off on the same database and measures as in 3 (the reads
//    change nothing, so both servers read the same data). Stops both, stops
//    the cluster (`pg_ctl -m immediate`) and removes it. Without
//    PostgreSQL's server binaries, this part is skipped (with the reason in
//    the JSON); `--engines sqlite` skips it on purpose.
//
// With the default 10 s: 9 runs of 10 s, 2 engines x 4 pairs x 20 s (each
// side 2 x 5 s), warm-ups, seeding and starts: about 5 minutes.
//
// Output: tables on stdout, the database line, the targets (met or missed;
// never fails), and with --out this JSON (keys are stable; without --out it
// goes to stdout):
//
//   { "server": {
//       "get_article":       { "c1": Run, "c16": Run, "c64": Run },
//       "get_comments_1000": { "c1": Run, "c16": Run, "c64": Run },
//       "post_comment":      { "c1": Run, "c16": Run, "c64": Run },
//       "db_bytes_per_100k_comments": N,  // db_bytes / comments_stored * 100,000
//       "db_bytes": N,                    // database after the runs (file + -wal)
//       "db_bytes_before_comments": N,    // the same with the demo articles only
//       "comments_stored": N,
//       "reads_p99_target_met": bool,     // both reads' c64 p99 < 5 ms (cache on)
//       "seconds_per_run": N,
//       "load_generator": "wrk 4.1.0",
//       "read_cache": {
//         "sqlite":   Engine,
//         "postgres": Engine,             // or { "skipped": "why" }
//         "seconds_per_slice": N,         // each side: 2 slices of this
//         "slices_per_side": 2,
//         "targets": { "min_rps_ratio_c64": 2, "max_p99_ms_c16": 5 } } } }
//
//   Run    = { "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "requests", "errors" }
//   Engine = { "get_article": { "c16": Pair, "c64": Pair },
//              "get_comments_1000": { "c16": Pair, "c64": Pair },
//              "speedup_target_met": bool,  // both reads: c64 rps_ratio >= 2
//              "p99_target_met": bool }     // both reads: c16 on.p99_ms <= 5
//   Pair   = { "on": Side, "off": Side, "rps_ratio": on.rps / off.rps }
//   Side   = Run over both slices (rps = all requests / all time; the
//            latencies are the worse slice's, a conservative figure) plus
//            "slices": [Run, Run] in the order they ran
//
// `errors` counts socket errors, timeouts and unexpected answers: a status
// >= 400 for the reads, anything but 201 for the POSTs. Latencies are wrk's
// (from sending a request to its complete answer), taken in its done() hook.
// A target counts as met only without errors.
//
// Exit status: 0 when the benchmark ran (whatever the numbers), 1 on any
// failure (the servers are killed, the cluster stopped and the temporary
// directories removed).
//
// Also importable: `import { benchServer } from './bench/server.mjs'`
// resolves to the same object.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WRK_DIR = path.join(HERE, 'wrk');
const CONNECTIONS = [1, 16, 64];
const SEED_COMMENTS = 1000;
const SEED_CONCURRENCY = 16;
const READ_P99_TARGET_MS = 5;
// The read cache's targets (issue): with the cache, at least this many times
// the requests/s at 64 connections, and a p99 at most this at 16.
const CACHE_CONNECTIONS = [16, 64];
const CACHE_MIN_RPS_RATIO = 2;
const CACHE_MAX_P99_MS = 5;
const ENGINES = ['sqlite', 'postgres'];

class BenchError extends Error {}

/** Runs the benchmark; resolves to `{ server: {...} }` (see the top). */
export async function benchServer({
  serverBin = 'target/server/khabar-server',
  www = 'www',
  widgetDir = 'target/widget',
  seconds = 10,
  engines = ENGINES,
  log = (line) => console.log(line),
} = {}) {
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new BenchError(`--seconds must be a whole number >= 1, not ${seconds}`);
  }
  const unknown = engines.filter((e) => !ENGINES.includes(e));
  if (unknown.length || !engines.includes('sqlite')) {
    throw new BenchError(
      `--engines takes sqlite (always run) and postgres, comma-separated, not ${engines.join(',')}`,
    );
  }
  serverBin = path.resolve(serverBin);
  try {
    fs.accessSync(serverBin, fs.constants.X_OK);
  } catch {
    throw new BenchError(
      `no server binary at ${serverBin}; build it with ` +
        '`cargo build --profile server -p khabar-server`',
    );
  }
  const wrkVersion = ensureWrk(log);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khabar-bench-'));
  const db = path.join(tmp, 'khabar.sqlite3');
  const serveArgs = (dbArg, cache) => [
    '--db', dbArg, 'serve', '--demo',
    '--listen', '127.0.0.1:0',
    '--www', path.resolve(www),
    '--widget-dir', path.resolve(widgetDir),
    '--moderation', 'post',
    '--comment-rate', '100000000',
    '--read-cache', cache,
  ];
  // Everything to undo on failure or a signal.
  const live = new Set();
  let cluster = null;
  const start = async (args) => {
    const s = await startServer(serverBin, args);
    live.add(s);
    return s;
  };
  const stop = async (s) => {
    live.delete(s);
    await s.stop();
  };
  const stopOnSignal = () => {
    for (const s of live) s.child.kill('SIGKILL');
    cluster?.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const sliceSeconds = Math.max(1, Math.round(seconds / 2));
  try {
    // Empty database: the demo articles only.
    let server = await start(serveArgs(db, 'on'));
    await api(server.url, 'GET', '/api/v1/articles?limit=1');
    await stop(server);
    const dbBytesBefore = dbSize(db);

    server = await start(serveArgs(db, 'on'));
    const base = server.url;
    const articles = await pickArticles(base);
    const { getArticle, commentsArticle, postArticle } = articles;
    log(`server ${base} (pid ${server.child.pid}), database in ${tmp}`);
    log(
      `articles: GET ${getArticle}, comments on ${commentsArticle}, ` +
        `POSTs to ${postArticle}`,
    );

    const seeded = await seedComments(base, commentsArticle, SEED_COMMENTS);
    log(`seeded ${seeded} comments on ${commentsArticle}`);

    // The read cache on SQLite, before any POST run changes the data.
    const readCache = {};
    const cacheRows = [];
    {
      const off = await start(serveArgs(db, 'off'));
      log(`sqlite: second server ${off.url} (pid ${off.child.pid}) with --read-cache off`);
      readCache.sqlite = await cacheMatrix({
        engine: 'sqlite',
        urls: { on: base, off: off.url },
        articles,
        sliceSeconds,
        rows: cacheRows,
        log,
      });
      await stop(off);
    }

    const endpoints = [
      {
        key: 'get_article',
        label: 'GET article',
        url: `${base}/api/v1/articles/${encodeURIComponent(getArticle)}`,
        script: 'report.lua',
        expect: 200,
      },
      {
        key: 'get_comments_1000',
        label: 'GET comments (1,000)',
        url: `${base}/api/v1/articles/${encodeURIComponent(commentsArticle)}/comments`,
        script: 'report.lua',
        expect: 200,
      },
      {
        key: 'post_comment',
        label: 'POST comment',
        url: `${base}/api/v1/articles/${encodeURIComponent(postArticle)}/comments`,
        script: 'post_comment.lua',
        expect: 201,
      },
    ];
    const result = { server: {} };
    const rows = [];
    let created = 0;
    for (const ep of endpoints) {
      result.server[ep.key] = {};
      for (const c of CONNECTIONS) {
        log(`running ${ep.label} at ${c} connection(s) for ${seconds} s…`);
        const raw = await runWrk({ url: ep.url, script: ep.script, connections: c, seconds });
        const run = summarize(raw, ep.expect);
        if (ep.expect === 201) created += raw.statuses?.['201'] ?? 0;
        result.server[ep.key][`c${c}`] = run;
        rows.push({ ep, c, run, raw });
      }
    }

    const stored = await countComments(base);
    if (stored < seeded + created) {
      throw new BenchError(
        `the server answered 201 to ${created} POSTs but stores only ` +
          `${stored - seeded} new comments`,
      );
    }
    await stop(server);
    server = null;
    const dbBytes = dbSize(db);
    const walLeft = fs.existsSync(`${db}-wal`) ? fs.statSync(`${db}-wal`).size : 0;

    // The read cache on PostgreSQL: a private cluster, one seeded database
    // read by a server with the cache and one without.
    if (engines.includes('postgres')) {
      const why = postgresMissing();
      if (why) {
        log(`postgres: skipped: ${why}`);
        readCache.postgres = { skipped: why };
      } else {
        cluster = await startCluster(log);
        const url = await cluster.createDatabase('khabar_bench');
        const on = await start(serveArgs(url, 'on'));
        const pgArticles = await pickArticles(on.url);
        const n = await seedComments(on.url, pgArticles.commentsArticle, SEED_COMMENTS);
        log(`postgres: seeded ${n} comments on ${pgArticles.commentsArticle}`);
        const off = await start(serveArgs(url, 'off'));
        log(
          `postgres: servers ${on.url} (pid ${on.child.pid}, cache on) and ` +
            `${off.url} (pid ${off.child.pid}, cache off)`,
        );
        readCache.postgres = await cacheMatrix({
          engine: 'postgres',
          urls: { on: on.url, off: off.url },
          articles: pgArticles,
          sliceSeconds,
          rows: cacheRows,
          log,
        });
        await stop(off);
        await stop(on);
        cluster.remove();
        cluster = null;
      }
    } else {
      readCache.postgres = { skipped: 'not asked for (--engines)' };
    }

    const reads64 = ['get_article', 'get_comments_1000'].map((k) => result.server[k].c64);
    const targetMet = reads64.every((r) => r.p99_ms < READ_P99_TARGET_MS && r.errors === 0);
    Object.assign(result.server, {
      db_bytes_per_100k_comments: Math.round((dbBytes / stored) * 100_000),
      db_bytes: dbBytes,
      db_bytes_before_comments: dbBytesBefore,
      comments_stored: stored,
      reads_p99_target_met: targetMet,
      seconds_per_run: seconds,
      load_generator: wrkVersion,
      read_cache: {
        ...readCache,
        seconds_per_slice: sliceSeconds,
        slices_per_side: 2,
        targets: { min_rps_ratio_c64: CACHE_MIN_RPS_RATIO, max_p99_ms_c16: CACHE_MAX_P99_MS },
      },
    });

    log('');
    log(table(rows));
    log('');
    log(
      `database: ${fmtBytes(result.server.db_bytes_per_100k_comments)} per 100,000 comments ` +
        `(${fmtBytes(dbBytes)} holding ${stored} comments` +
        `${walLeft ? `, of which -wal ${fmtBytes(walLeft)} not checkpointed` : ''}; ` +
        `${fmtBytes(dbBytesBefore)} before any comment)`,
    );
    const detail = ['get_article', 'get_comments_1000']
      .map((k, i) => `${endpoints[i].label} ${reads64[i].p99_ms.toFixed(2)} ms`)
      .join(', ');
    log(
      `target (issue): p99 under ${READ_P99_TARGET_MS} ms at 64 connections for reads: ` +
        `${targetMet ? 'met' : 'MISSED'} (${detail})`,
    );
    log('');
    log(
      `read cache: on vs off, alternating (2 slices of ${sliceSeconds} s per side; ` +
        'latencies: the worse slice)',
    );
    log(cacheTable(cacheRows));
    log('');
    for (const engine of ENGINES) {
      const r = readCache[engine];
      if (r.skipped) {
        log(`${engine}: skipped (${r.skipped})`);
        continue;
      }
      const ratios = READS.map(
        (ep) => `${ep.label} ${r[ep.key].c64.rps_ratio.toFixed(2)}×`,
      ).join(', ');
      const p99s = READS.map((ep) => `${ep.label} ${r[ep.key].c16.on.p99_ms.toFixed(2)} ms`).join(
        ', ',
      );
      log(
        `target (issue), ${engine}: ≥ ${CACHE_MIN_RPS_RATIO}× req/s with the cache at 64 ` +
          `connections: ${r.speedup_target_met ? 'met' : 'MISSED'} (${ratios})`,
      );
      log(
        `target (issue), ${engine}: p99 ≤ ${CACHE_MAX_P99_MS} ms at 16 connections with the ` +
          `cache: ${r.p99_target_met ? 'met' : 'MISSED'} (${p99s})`,
      );
    }
    log(`load generator: ${wrkVersion}`);
    return result;
  } finally {
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    for (const s of live) s.child.kill('SIGKILL');
    cluster?.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- read cache

/** The reads the cache serves, as paths on a server with `articles`. */
const READS = [
  {
    key: 'get_article',
    label: 'GET article',
    path: (a) => `/api/v1/articles/${encodeURIComponent(a.getArticle)}`,
  },
  {
    key: 'get_comments_1000',
    label: 'GET comments (1,000)',
    path: (a) => `/api/v1/articles/${encodeURIComponent(a.commentsArticle)}/comments`,
  },
];

/**
 * GET article and GET comments at 16 and 64 connections on `urls.on` (cache
 * on) and `urls.off` (cache off), in alternating slices; resolves to Engine
 * (see the top) and appends table rows to `rows`.
 */
async function cacheMatrix({ engine, urls, articles, sliceSeconds, rows, log }) {
  // Warm-up, discarded: fills the cache, SQLite's page cache, PostgreSQL's
  // buffers and plans, the servers' pools.
  for (const ep of READS) {
    for (const side of ['on', 'off']) {
      const raw = await runWrk({
        url: urls[side] + ep.path(articles),
        script: 'report.lua',
        connections: 16,
        seconds: 1,
      });
      const run = summarize(raw, 200);
      if (run.errors > 0 || run.requests === 0) {
        throw new BenchError(
          `${engine}: warm-up of ${ep.label} with the cache ${side} had ` +
            `${run.errors} errors in ${run.requests} requests`,
        );
      }
    }
  }
  const out = {};
  let pair = 0;
  for (const ep of READS) {
    out[ep.key] = {};
    for (const c of CACHE_CONNECTIONS) {
      const order = pair++ % 2 === 0 ? ['on', 'off', 'off', 'on'] : ['off', 'on', 'on', 'off'];
      const slices = { on: [], off: [] };
      for (const side of order) {
        log(`${engine}: ${ep.label} at ${c} connections, cache ${side}, ${sliceSeconds} s…`);
        const raw = await runWrk({
          url: urls[side] + ep.path(articles),
          script: 'report.lua',
          connections: c,
          seconds: sliceSeconds,
        });
        slices[side].push({ raw, run: summarize(raw, 200) });
      }
      const on = combine(slices.on);
      const off = combine(slices.off);
      const entry = { on, off, rps_ratio: Math.round((on.rps / off.rps) * 100) / 100 };
      out[ep.key][`c${c}`] = entry;
      rows.push({ engine, ep, c, entry });
    }
  }
  const clean = (p) => p.on.errors === 0 && p.off.errors === 0;
  out.speedup_target_met = READS.every(
    (ep) => out[ep.key].c64.rps_ratio >= CACHE_MIN_RPS_RATIO && clean(out[ep.key].c64),
  );
  out.p99_target_met = READS.every(
    (ep) => out[ep.key].c16.on.p99_ms <= CACHE_MAX_P99_MS && clean(out[ep.key].c16),
  );
  return out;
}

/** One side's slices as one Run (see Side at the top). */
function combine(slices) {
  const requests = slices.reduce((n, s) => n + s.raw.requests, 0);
  const us = slices.reduce((n, s) => n + s.raw.duration_us, 0);
  const worst = (k) => Math.max(...slices.map((s) => s.run[k]));
  return {
    rps: Math.round((requests / (us / 1e6)) * 10) / 10,
    p50_ms: worst('p50_ms'),
    p90_ms: worst('p90_ms'),
    p99_ms: worst('p99_ms'),
    max_ms: worst('max_ms'),
    requests,
    errors: slices.reduce((n, s) => n + s.run.errors, 0),
    slices: slices.map((s) => s.run),
  };
}

// ---------------------------------------------------------------- PostgreSQL

/** Debian's newest PostgreSQL server binaries, or null. */
function postgresBin() {
  const base = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = fs
      .readdirSync(base)
      .filter((v) => /^\d+$/.test(v) && fs.existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(a) - Number(b));
  } catch {
    return null;
  }
  return versions.length ? path.join(base, versions.at(-1), 'bin') : null;
}

/** Why PostgreSQL cannot run here, or null. */
function postgresMissing() {
  if (!postgresBin()) {
    return 'PostgreSQL server binaries not found (Debian: apt-get install postgresql)';
  }
  if (spawnSync('psql', ['--version']).error) return 'psql not found (apt-get install postgresql-client)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    return 'running as root but there is no `postgres` user to own the cluster';
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command to completion; throws with its output on failure. */
function runOrThrow(cmd, args, what) {
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.error || r.status !== 0) {
    throw new BenchError(
      `${what} failed (${r.error?.message ?? r.signal ?? `exit ${r.status}`}): ` +
        `${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`.trim(),
    );
  }
  return r.stdout;
}

/**
 * A private cluster in a temporary directory: superuser `khabar`, trust
 * authentication, 127.0.0.1 and a socket in the directory only. As root,
 * the cluster belongs to `postgres` (initdb refuses root).
 */
async function startCluster(log) {
  const bin = postgresBin();
  const root = process.getuid?.() === 0;
  const owned = (program, args) =>
    root ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khabar-bench-pg-'));
  const data = path.join(dir, 'data');
  let started = false;
  const remove = () => {
    if (started) {
      started = false;
      spawnSync(...owned(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']), {
        stdio: 'ignore',
        timeout: 60_000,
      });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (root) runOrThrow('chown', ['postgres', dir], 'chown of the cluster directory');
    runOrThrow(
      ...owned(path.join(bin, 'initdb'), [
        '-D', data, '-U', 'khabar', '--auth=trust', '-E', 'UTF8',
        '--locale=C.UTF-8', '--no-sync',
      ]),
      'initdb',
    );
    const port = await freePort();
    started = true;
    runOrThrow(
      ...owned(path.join(bin, 'pg_ctl'), [
        '-D', data,
        '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
        '-w', '-l', path.join(dir, 'log'), 'start',
      ]),
      'pg_ctl start',
    );
    log(`postgres: cluster ${bin} on 127.0.0.1:${port} in ${dir}`);
    return {
      remove,
      /** Creates database `name`; resolves to its URL for --db. */
      async createDatabase(name) {
        runOrThrow(
          'psql',
          ['-h', '127.0.0.1', '-p', String(port), '-U', 'khabar', '-d', 'postgres',
            '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`],
          `CREATE DATABASE ${name}`,
        );
        return `postgres://khabar@127.0.0.1:${port}/${name}`;
      },
    };
  } catch (e) {
    remove();
    throw e;
  }
}

// ---------------------------------------------------------------- wrk

/** Returns "wrk x.y.z", installing wrk with apt-get when missing. */
function ensureWrk(log) {
  const version = () => {
    // `wrk -v` prints its version and usage, and exits 1.
    const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
    if (r.error) return null;
    const out = `${r.stdout}${r.stderr}`;
    const m = out.match(/wrk \S*?(\d+\.\d+\.\d+)/);
    return m ? `wrk ${m[1]}` : 'wrk (unknown version)';
  };
  let v = version();
  if (v) return v;
  const hint =
    'wrk (the HTTP load generator) is not installed and could not be installed; ' +
    'install it with `sudo apt-get install wrk` (Debian/Ubuntu) or from ' +
    'https://github.com/wg/wrk, then run again';
  if (process.getuid?.() !== 0) throw new BenchError(hint);
  log('wrk is missing: installing it with apt-get…');
  const apt = (...args) =>
    spawnSync('apt-get', args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let r = apt('install', '-y', 'wrk');
  if (r.error || r.status !== 0) {
    apt('update');
    r = apt('install', '-y', 'wrk');
  }
  v = version();
  if (!v) throw new BenchError(hint);
  return v;
}

/** Runs wrk once; resolves to the JSON its done() hook printed. */
function runWrk({ url, script, connections, seconds }) {
  const args = [
    '-t', String(connections === 1 ? 1 : 2),
    '-c', String(connections),
    '-d', `${seconds}s`,
    '--timeout', '30s',
    '-s', path.join(WRK_DIR, script),
    url,
  ];
  if (script === 'post_comment.lua') args.push('--', randomBytes(4).toString('hex'));
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 60) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new BenchError(`cannot run wrk: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('KHABAR_WRK_JSON '));
      if (code !== 0 || !line) {
        reject(
          new BenchError(
            `wrk ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out}${err}`.trim(),
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(line.slice('KHABAR_WRK_JSON '.length)));
      } catch (e) {
        reject(new BenchError(`unreadable wrk report ${line}: ${e.message}`));
      }
    });
  });
}

/** One run's figures from wrk's report; `expect` is the good status. */
function summarize(raw, expect) {
  const e = raw.errors;
  let bad = e.connect + e.read + e.write + e.timeout;
  if (Object.keys(raw.statuses).length > 0) {
    // The script counted statuses: anything but the expected one is an error.
    bad += Object.entries(raw.statuses)
      .filter(([code]) => Number(code) !== expect)
      .reduce((n, [, count]) => n + count, 0);
  } else {
    bad += e.status;
  }
  const ms = (us) => Math.round(us) / 1000;
  return {
    rps: Math.round((raw.requests / (raw.duration_us / 1e6)) * 10) / 10,
    p50_ms: ms(raw.latency_us.p50),
    p90_ms: ms(raw.latency_us.p90),
    p99_ms: ms(raw.latency_us.p99),
    max_ms: ms(raw.latency_us.max),
    requests: raw.requests,
    errors: bad,
  };
}

// ---------------------------------------------------------------- server

/** Starts the server; resolves once it printed its URL. */
function startServer(bin, args) {
  // KHABAR_* variables of the caller's shell would change the setup.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('KHABAR_')),
  );
  env.RUST_LOG = 'khabar_server=info,tower_http=warn';
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const errLines = [];
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    errLines.push(...d.split('\n').filter(Boolean));
    if (errLines.length > 40) errLines.splice(0, errLines.length - 40);
  });
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const stderrTail = () => (errLines.length ? `\nserver stderr:\n${errLines.join('\n')}` : '');
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new BenchError(`the server printed no URL within 20 s${stderrTail()}`));
    }, 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new BenchError(`cannot start ${bin}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new BenchError(`the server exited (${signal ?? `code ${code}`}) early${stderrTail()}`),
      );
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/khabar-server listening on (http:\/\/[^\s/]+)/);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        child,
        url: m[1],
        /** SIGTERM, then waits for a clean exit (SIGKILL after 45 s). */
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
          const { code, signal } = await exited;
          clearTimeout(kill);
          if (code !== 0) {
            throw new BenchError(
              `the server did not stop cleanly on SIGTERM (${signal ?? `code ${code}`})` +
                stderrTail(),
            );
          }
        },
      });
    });
  });
}

/** One API call; resolves to the parsed JSON, throws on an unexpected status. */
async function api(base, method, pathAndQuery, body, expect = method === 'POST' ? 201 : 200) {
  const res = await fetch(base + pathAndQuery, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status !== expect) {
    throw new BenchError(`${method} ${pathAndQuery} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text);
}

/** All article summaries (follows the cursor). */
async function allArticles(base) {
  const items = [];
  let cursor = null;
  do {
    const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await api(base, 'GET', `/api/v1/articles?limit=50${q}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}

/** The first article to read; two articles open for comments. */
async function pickArticles(base) {
  const items = await allArticles(base);
  if (items.length === 0) throw new BenchError('the server has no articles (demo seed missing?)');
  const open = [];
  for (const a of items) {
    const full = await api(base, 'GET', `/api/v1/articles/${encodeURIComponent(a.id)}`);
    if (full.comments_open) open.push(a.id);
    if (open.length === 2) break;
  }
  if (open.length === 0) throw new BenchError('no demo article takes comments');
  return {
    getArticle: items[0].id,
    commentsArticle: open[0],
    // With a single open article the POSTs go to it too: they run after
    // the GET comments runs, so those still see 1,000 comments.
    postArticle: open[1] ?? open[0],
  };
}

/** Brings `articleId` to `n` published comments; resolves to that count. */
async function seedComments(base, articleId, n) {
  const p = `/api/v1/articles/${encodeURIComponent(articleId)}/comments`;
  const have = (await api(base, 'GET', `${p}?limit=1`)).total;
  let next = have;
  const worker = async () => {
    while (next < n) {
      const i = ++next;
      await api(base, 'POST', p, {
        author: `قارئ ${i}`,
        email: '',
        body: `تعليق رقم ${i} على هذا المقال: شكراً على التغطية، ننتظر المتابعة. Comment ${i}.`,
        idempotency_key: randomUUID(),
        website: '',
      });
    }
  };
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, worker));
  const total = (await api(base, 'GET', `${p}?limit=1`)).total;
  if (total !== n) throw new BenchError(`seeded ${articleId} but it shows ${total} comments, not ${n}`);
  return total;
}

/** Published comments over all articles (all comments, with --moderation post). */
async function countComments(base) {
  return (await allArticles(base)).reduce((n, a) => n + a.comment_count, 0);
}

/** Bytes of the database: the file plus its -wal, if any. */
function dbSize(db) {
  return [db, `${db}-wal`].reduce(
    (n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0),
    0,
  );
}

// ---------------------------------------------------------------- output

function table(rows) {
  const head = ['endpoint', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'target'];
  const body = rows.map(({ ep, c, run }) => [
    ep.label,
    String(c),
    run.rps.toFixed(1),
    run.p50_ms.toFixed(2),
    run.p99_ms.toFixed(2),
    String(run.errors),
    ep.expect === 200 && c === 64
      ? `p99 < ${READ_P99_TARGET_MS} ms: ${run.p99_ms < READ_P99_TARGET_MS && run.errors === 0 ? 'met' : 'MISSED'}`
      : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) =>
    r
      .map((cell, i) => (i === 0 || i === r.length - 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  // What the errors were, for the runs that had any.
  const notes = rows
    .filter(({ run }) => run.errors > 0)
    .map(({ ep, c, raw }) => {
      const kinds = Object.entries(raw.errors)
        .filter(([kind, n]) => n > 0 && (kind !== 'status' || !Object.keys(raw.statuses).length))
        .map(([kind, n]) => `${kind === 'status' ? 'status >= 400' : kind} ${n}`);
      const codes = Object.entries(raw.statuses)
        .filter(([code]) => Number(code) !== ep.expect)
        .map(([code, n]) => `HTTP ${code} ${n}`);
      return `errors of ${ep.label} at ${c}: ${[...codes, ...kinds].join(', ')}`;
    });
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ...notes].join(
    '\n',
  );
}

/** The read cache's rows: one line per engine, endpoint and connections. */
function cacheTable(rows) {
  const head = [
    'engine', 'endpoint', 'conns', 'on req/s', 'off req/s', 'ratio',
    'on p50', 'on p99', 'off p50', 'off p99', 'errors', 'target',
  ];
  const f2 = (n) => n.toFixed(2);
  const body = rows.map(({ engine, ep, c, entry: { on, off, rps_ratio } }) => {
    const clean = on.errors === 0 && off.errors === 0;
    let target = '';
    if (c === 64) {
      const met = rps_ratio >= CACHE_MIN_RPS_RATIO && clean;
      target = `≥ ${CACHE_MIN_RPS_RATIO}×: ${met ? 'met' : 'MISSED'}`;
    } else if (c === 16) {
      const met = on.p99_ms <= CACHE_MAX_P99_MS && clean;
      target = `p99 ≤ ${CACHE_MAX_P99_MS} ms: ${met ? 'met' : 'MISSED'}`;
    }
    return [
      engine, ep.label, String(c), on.rps.toFixed(1), off.rps.toFixed(1), `${f2(rps_ratio)}×`,
      f2(on.p50_ms), f2(on.p99_ms), f2(off.p50_ms), f2(off.p99_ms),
      String(on.errors + off.errors), target,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const left = new Set([0, 1, head.length - 1]);
  const line = (r) =>
    r
      .map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

function fmtBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

// ---------------------------------------------------------------- CLI

async function main() {
  const { values } = parseArgs({
    options: {
      'server-bin': { type: 'string', default: 'target/server/khabar-server' },
      www: { type: 'string', default: 'www' },
      'widget-dir': { type: 'string', default: 'target/widget' },
      seconds: { type: 'string', default: '10' },
      engines: { type: 'string', default: ENGINES.join(',') },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: node bench/server.mjs [--server-bin PATH] [--www DIR] [--widget-dir DIR] ' +
        '[--seconds N] [--engines sqlite,postgres] [--out FILE.json]',
    );
    return;
  }
  const seconds = Number(values.seconds);
  const result = await benchServer({
    serverBin: values['server-bin'],
    www: values.www,
    widgetDir: values['widget-dir'],
    seconds,
    engines: values.engines.split(',').map((e) => e.trim()).filter(Boolean),
  });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.out) {
    fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    fs.writeFileSync(values.out, json);
    console.log(`wrote ${values.out}`);
  } else {
    process.stdout.write(json);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    // fetch() hides the reason (refused, reset…) in `cause`.
    const cause = e?.cause ? ` (${e.cause.message ?? e.cause})` : '';
    const msg =
      e instanceof BenchError || String(e?.code).startsWith('ERR_PARSE_ARGS')
        ? e.message
        : `${e?.stack ?? String(e)}${cause}`;
    console.error(`bench/server.mjs: error: ${msg}`);
    process.exit(1);
  });
}
