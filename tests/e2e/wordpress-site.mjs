// A real WordPress site for the end-to-end tests, from Debian's packages
// (wordpress, wordpress-l10n, php-cli, mariadb-server-core and
// mariadb-client-core, in xtask's APT_PACKAGES), set up from nothing on
// loopback with no manual step:
//  - MariaDB from a private data directory on a Unix socket, no TCP port;
//  - the site's configuration in /etc/wordpress/config-NAME.php, where
//    Debian's wp-config.php looks (NAME unique per run, removed after);
//  - PHP's built-in server with wordpress-router.php in front of
//    /usr/share/wordpress, errors logged to a file, never shown (a notice
//    in an answer would break its JSON);
//  - the install form posted as a browser would, then an application
//    password created through the REST API by the logged-in admin.
// Everything runs as child processes in a temporary directory and is
// stopped and removed by stop(), or when the test process exits or is
// interrupted.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './helpers.mjs';

const WORDPRESS = '/usr/share/wordpress';
const CONFIG_DIR = '/etc/wordpress';
const ROUTER = join(dirname(fileURLToPath(import.meta.url)), 'wordpress-router.php');
const CLI = join(dirname(fileURLToPath(import.meta.url)), 'wordpress-cli.php');
const IS_ROOT = process.getuid?.() === 0;

/** The first of `names` found as a program, or null. */
function program(...names) {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return null;
}

const PHP = program('php');
const MARIADBD = program('mariadbd', 'mysqld');
const INSTALL_DB = program('mariadb-install-db', 'mysql_install_db');
const CLIENT = program('mariadb', 'mysql');

/** Why the site cannot be started here, or false when it can. */
export function wordpressMissing() {
  const modules = PHP ? spawnSync(PHP, ['-m'], { encoding: 'utf8' }).stdout ?? '' : '';
  const missing = [
    !existsSync(join(WORDPRESS, 'wp-config.php')) && 'wordpress',
    !(MARIADBD && INSTALL_DB) && 'mariadb-server-core',
    !CLIENT && 'mariadb-client-core',
    !PHP && 'php-cli',
    PHP && !/^mysqli$/m.test(modules) && 'php-mysql',
  ].filter(Boolean);
  if (missing.length) return `not installed: ${missing.join(', ')} (cargo xtask setup --browsers installs them)`;
  try {
    accessSync(CONFIG_DIR, constants.W_OK);
  } catch {
    return `${CONFIG_DIR} is not writable: Debian's WordPress reads its site configuration there`;
  }
  return false;
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `attempt` until it returns a truthy value or `ms` pass; then throws `what()`. */
async function until(ms, attempt, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await attempt();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(what());
    await pause(50);
  }
}

/**
 * What must go even if the test process ends abruptly: the children run in
 * their own process groups (a Ctrl-C does not reach them) and the site's
 * file is outside the temporary directory. Run on exit and on the signals
 * that end a test run, which are then raised again.
 */
const leftovers = new Set();
function cleanUpNow() {
  // Newest first: the processes before the files they use.
  for (const clean of [...leftovers].reverse()) clean();
  leftovers.clear();
}
process.on('exit', cleanUpNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    cleanUpNow();
    process.kill(process.pid, sig);
  });
}

/**
 * A child process in its own process group (php -S forks its workers),
 * signalled as a group, and killed when the test process exits.
 */
function child(cmd, args, options) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...options });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const signal = (sig) => {
    try {
      process.kill(-proc.pid, sig);
    } catch { /* already gone */ }
  };
  const killOnExit = () => signal('SIGKILL');
  leftovers.add(killOnExit);
  return {
    proc,
    output: () => output,
    running: () => proc.exitCode === null && proc.signalCode === null,
    async stop() {
      leftovers.delete(killOnExit);
      if (proc.exitCode !== null || proc.signalCode !== null) {
        signal('SIGKILL'); // workers left behind, if any
        return;
      }
      const exited = new Promise((r) => proc.once('exit', r));
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL');
    },
  };
}

/** Cookies of a fetch answer as name=value pairs. */
const cookiesOf = (res) => res.headers.getSetCookie().map((c) => c.split(';')[0]);

/**
 * Starts a new WordPress site in `language` (a WordPress locale such as
 * `ar`, from the wordpress-l10n package; '' for English) with the plugin
 * directories of `plugins` linked into its plugins (not activated). Returns { url, user, password,
 * appPassword, api, contentDir, seconds, errors, stop }: `api(route,
 * options)` calls the REST API with the application password (the
 * `?rest_route=` form, which works whatever the permalinks), `seconds` is
 * how long the set-up took. With `network`, the site is made the main
 * site of a multisite network in subdirectories (its other sites are
 * the test's to add, through `cli`).
 */
export async function startWordpress({ title = 'أخبار المدينة', language = '', plugins = [], network = false } = {}) {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'khabar-wp-'));
  const name = `khabar-e2e-${randomBytes(6).toString('hex')}`;
  const configFile = join(CONFIG_DIR, `config-${name}.php`);
  const removeConfig = () => rmSync(configFile, { force: true });
  const removeAll = () => {
    removeConfig();
    try {
      // The killed MariaDB may still be closing its files: a few tries.
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch { /* left in the temporary directory */ }
  };
  leftovers.add(removeAll);
  const parts = [];
  const stop = async () => {
    for (const part of parts.reverse()) await part.stop();
    parts.length = 0;
    removeConfig();
    leftovers.delete(removeAll);
    // KHABAR_KEEP_WORDPRESS=1 keeps the site's files and logs for a look.
    if (process.env.KHABAR_KEEP_WORDPRESS) console.log(`# WordPress's files: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    // MariaDB: a private data directory and socket, no network.
    const data = join(dir, 'mariadb');
    const socket = join(dir, 'mariadb.sock');
    const asRoot = IS_ROOT ? ['--user=root'] : [];
    execFileSync(INSTALL_DB, ['--no-defaults', `--datadir=${data}`, ...asRoot,
      '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    const db = child(MARIADBD, ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`,
      '--skip-networking', '--skip-log-bin', `--pid-file=${join(dir, 'mariadb.pid')}`,
      // As Debian's own configuration sets it (`--no-defaults` leaves
      // latin1): a connection that names no charset still keeps Arabic.
      '--character-set-server=utf8mb4', '--collation-server=utf8mb4_unicode_ci',
      '--innodb-flush-log-at-trx-commit=0', ...asRoot]);
    parts.push(db);
    const sql = (statement, database = []) => execFileSync(CLIENT, ['--no-defaults', `--socket=${socket}`, '-u', 'root',
      '-N', '-B', ...database, '-e', statement], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    await until(30_000, () => {
      if (!db.running()) throw new Error(`MariaDB exited:\n${db.output()}`);
      try {
        sql('CREATE DATABASE wordpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
        return true;
      } catch {
        return false;
      }
    }, () => `MariaDB did not start:\n${db.output()}`);

    // The site's files: uploads and plugins here, the packaged themes linked.
    const content = join(dir, 'wp-content');
    mkdirSync(join(content, 'uploads'), { recursive: true });
    mkdirSync(join(content, 'plugins'));
    symlinkSync(join(WORDPRESS, 'wp-content', 'themes'), join(content, 'themes'));
    if (existsSync(join(WORDPRESS, 'wp-content', 'languages'))) {
      symlinkSync(join(WORDPRESS, 'wp-content', 'languages'), join(content, 'languages'));
    }
    for (const plugin of plugins) symlinkSync(plugin, join(content, 'plugins', basename(plugin)));

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const key = () => randomBytes(24).toString('hex');
    const php = (s) => `'${String(s).replace(/[\\']/g, '\\$&')}'`;
    const defines = {
      DB_NAME: 'wordpress',
      DB_USER: 'root',
      DB_PASSWORD: '',
      DB_HOST: `localhost:${socket}`,
      // As every wp-config.php sets it: without it a single site's
      // connection takes the server's charset, a network's utf8 (one CI
      // run read a network's Arabic title back as '???').
      DB_CHARSET: 'utf8mb4',
      WP_HOME: url,
      WP_SITEURL: url,
      WP_CONTENT_DIR: content,
      // Application passwords over plain http.
      WP_ENVIRONMENT_TYPE: 'local',
      // No calls out to wordpress.org, no cron, no updates: a quiet site.
      WP_HTTP_BLOCK_EXTERNAL: true,
      DISABLE_WP_CRON: true,
      AUTOMATIC_UPDATER_DISABLED: true,
      WP_DEBUG: false,
      AUTH_KEY: key(),
      SECURE_AUTH_KEY: key(),
      LOGGED_IN_KEY: key(),
      NONCE_KEY: key(),
      AUTH_SALT: key(),
      SECURE_AUTH_SALT: key(),
      LOGGED_IN_SALT: key(),
      NONCE_SALT: key(),
    };
    const writeConfig = () => writeFileSync(configFile, `<?php\n// Written by Khabar's tests/e2e/wordpress-site.mjs; removed after the test.\n${
      Object.entries(defines).map(([k, v]) => `define('${k}', ${typeof v === 'string' ? php(v) : v});`).join('\n')}\n`);
    writeConfig();

    // PHP's built-in server, several workers: WordPress calls itself at install.
    const errors = join(dir, 'php-errors.log');
    const web = child(PHP, ['-d', 'display_errors=0', '-d', 'log_errors=1', '-d', `error_log=${errors}`,
      '-S', `127.0.0.1:${port}`, '-t', WORDPRESS, ROUTER], {
      env: {
        ...process.env, PHP_CLI_SERVER_WORKERS: '4', KHABAR_WP_CONFIG: name, KHABAR_WP_CONTENT: content,
      },
    });
    parts.push(web);
    await until(10_000, async () => {
      if (!web.running()) throw new Error(`php -S exited:\n${web.output()}`);
      return fetch(`${url}/wp-login.php`).then(() => true, () => false);
    }, () => `php -S did not start:\n${web.output()}`);

    // The install form, as the first visitor of a new site posts it.
    const user = 'khabar';
    const password = randomBytes(12).toString('hex');
    const install = await fetch(`${url}/wp-admin/install.php?step=2`, {
      method: 'POST',
      body: new URLSearchParams({
        weblog_title: title, user_name: user, admin_password: password, admin_password2: password,
        pw_weak: '1', admin_email: 'desk@news.example', blog_public: '0', language,
      }),
    });
    const installed = await install.text();
    if (!install.ok || !installed.includes('wp-login.php')) {
      throw new Error(`WordPress install answered ${install.status}:\n${installed.slice(0, 2000)}\n${readErrors(errors)}`);
    }

    // Log in, then create an application password with the REST nonce.
    const login = await fetch(`${url}/wp-login.php`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
      body: new URLSearchParams({ log: user, pwd: password, 'wp-submit': 'Log In', testcookie: '1' }),
    });
    const cookie = cookiesOf(login).join('; ');
    if (login.status !== 302 || !cookie.includes('wordpress_logged_in_')) {
      throw new Error(`logging in to WordPress answered ${login.status}: ${(await login.text()).slice(0, 2000)}`);
    }
    const nonce = (await (await fetch(`${url}/wp-admin/admin-ajax.php?action=rest-nonce`, {
      headers: { cookie },
    })).text()).trim();
    const created = await fetch(`${url}/?rest_route=/wp/v2/users/me/application-passwords`, {
      method: 'POST',
      headers: { cookie, 'x-wp-nonce': nonce, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'khabar-e2e' }),
    });
    const appPassword = (await created.json()).password;
    if (created.status !== 201 || !appPassword) {
      throw new Error(`creating an application password answered ${created.status} (nonce ${nonce})`);
    }

    const cli = (script, args = []) => new Promise((resolve, reject) => {
      const run = spawn(PHP, ['-d', 'display_errors=stderr', CLI, script, ...args.map(String)], {
        env: { ...process.env, KHABAR_WP_CONFIG: name, KHABAR_WP_HOST: `127.0.0.1:${port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      run.stdout.on('data', (d) => { out += d; });
      run.stderr.on('data', (d) => { err += d; });
      run.on('error', reject);
      // 'close', not 'exit': the output is all read by then.
      run.on('close', (code) => (code === 0
        ? resolve(out)
        : reject(new Error(`php ${basename(script)} exited ${code}:\n${err}${out}`))));
    });

    if (network) {
      // A multisite network in subdirectories, as WordPress's Network
      // Setup screen makes one: its tables and the network's row, then
      // the constants. WP_HOME and WP_SITEURL would give every site the
      // main site's address: each site's own options hold it instead.
      const script = join(dir, 'khabar-network.php');
      writeFileSync(script, `<?php
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
// What wp-admin/network.php does first: the network's tables named.
define( 'WP_INSTALLING_NETWORK', true );
foreach ( $wpdb->tables( 'ms_global' ) as $table => $prefixed ) {
	$wpdb->$table = $prefixed;
}
install_network();
$made = populate_network( 1, $argv[1], get_option( 'admin_email' ), 'Khabar e2e network', '/', false );
if ( is_wp_error( $made ) ) {
	fwrite( STDERR, $made->get_error_message() );
	exit( 1 );
}
`);
      await cli(script, [`127.0.0.1:${port}`]);
      delete defines.WP_HOME;
      delete defines.WP_SITEURL;
      Object.assign(defines, {
        MULTISITE: true,
        SUBDOMAIN_INSTALL: false,
        DOMAIN_CURRENT_SITE: `127.0.0.1:${port}`,
        PATH_CURRENT_SITE: '/',
        SITE_ID_CURRENT_SITE: 1,
        BLOG_ID_CURRENT_SITE: 1,
      });
      writeConfig();
    }

    const auth = `Basic ${Buffer.from(`${user}:${appPassword}`).toString('base64')}`;
    /**
     * A REST call: `route` such as `/wp/v2/posts/4`, `query` an object,
     * `json` a JSON body or `body` with its own headers. Returns
     * { status, headers, json } and throws on an answer that is not JSON.
     */
    const api = async (route, { method = 'GET', query = {}, json, body, headers = {} } = {}) => {
      const params = new URLSearchParams({ rest_route: route, ...query });
      const res = await fetch(`${url}/?${params}`, {
        method,
        headers: {
          authorization: auth, ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers,
        },
        body: json === undefined ? body : JSON.stringify(json),
      });
      const text = await res.text();
      try {
        return { status: res.status, headers: res.headers, json: JSON.parse(text) };
      } catch {
        throw new Error(`${method} ${route} answered ${res.status}, not JSON:\n${text.slice(0, 2000)}\n${readErrors(errors)}`);
      }
    };
    return {
      url,
      user,
      password,
      appPassword,
      api,
      contentDir: content,
      seconds: (Date.now() - started) / 1000,
      /** PHP's logged warnings and errors so far. */
      errors: () => readErrors(errors),
      /** One SQL statement on the site's database: its rows, tab-separated, without headings. */
      query: (statement) => sql(statement, ['wordpress']),
      /**
       * Runs the PHP file `script` with WordPress and its active plugins
       * loaded (wordpress-cli.php), `args` in its $argv; resolves to what
       * it printed, or rejects with that and its errors (PHP's warnings go
       * to the error, never into what it printed).
       */
      cli,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function readErrors(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
