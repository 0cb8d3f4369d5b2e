// The WordPress plugin (integrations/wordpress/khabar) in a real WordPress
// (wordpress-site.mjs): activated, set up on its settings page in the
// browser, it pushes posts to khabar-server as they are published, edited,
// trashed, restored and deleted (no sync anywhere), and puts the comments
// and the actions row under the post on the WordPress page itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, launchBrowser, openPage, startServer, widgetsSettled } from './helpers.mjs';
import { startWordpress, wordpressMissing } from './wordpress-site.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PLUGIN = join(ROOT, 'integrations', 'wordpress', 'khabar');
const TOKEN = 'wordpress-plugin-test-publish-token';
const skip = wordpressMissing();

let wp;
let server;
let browser;
let admin;
before(async () => {
  if (skip) return;
  // An Arabic site, as the newsrooms Khabar is made for run it.
  wp = await startWordpress({ title: 'صحيفة الحي', language: 'ar', plugins: [PLUGIN] });
  server = await startServer({ args: ['--site', wp.url, '--publish-token', TOKEN, '--moderation', 'post'] });
  browser = await launchBrowser();
});
after(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  await wp?.stop();
});

/** `call`'s JSON answer, which must have `status`. */
async function expect(status, call) {
  const res = await call;
  assert.equal(res.status, status, JSON.stringify(res.json).slice(0, 500));
  return res.json;
}

const articleId = (postId) => `127.0.0.1-${new URL(wp.url).port}-${postId}`;

/** Khabar's answer for article `id` once `want(status, body)` holds (the read cache may hold the old one briefly). */
async function stored(id, want) {
  let res;
  for (let i = 0; i < 60; i++) {
    res = await fetch(`${server.url}api/v1/articles/${encodeURIComponent(id)}`);
    const body = res.ok ? await res.json() : null;
    if (want(res.status, body)) return body ?? res.status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`article ${id} answered ${res.status}, not what the test waits for`);
}

/** The administrator's page, logged in through wp-login.php. */
async function adminPage() {
  if (!admin) {
    admin = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await admin.newPage();
    // WordPress's login page sometimes posts an empty password under load
    // (its own scripts run on timers after the load event): the form is
    // filled once the page has focused its first field, and sent again if
    // WordPress answers with the form.
    for (let attempt = 1; ; attempt++) {
      await page.goto(`${wp.url}/wp-login.php`);
      await page.waitForFunction(() => document.activeElement?.id === 'user_login');
      await page.fill('#user_login', wp.user);
      await page.fill('#user_pass', wp.password);
      const [sent] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/wp-login.php')),
        page.click('#wp-submit'),
      ]);
      // Logged in: a redirect to the dashboard; refused: the form again.
      if (sent.status() === 302) {
        await page.waitForURL(/\/wp-admin\//);
        break;
      }
      await page.waitForLoadState();
      const why = await page.locator('#login_error').textContent().catch(() => '');
      assert.ok(attempt < 3, `wp-login.php refused the administrator three times: ${why}`);
    }
    await page.close();
  }
  return admin.newPage();
}

/** Fills and saves Settings → Khabar; returns the page showing the result. */
async function saveSettings({ server: address, token, lang, placements }) {
  const page = await adminPage();
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  if (address !== undefined) await page.fill('#khabar_server_url', address);
  if (token === '') {
    // The page never shows the saved token: the box beside it removes it.
    const remove = page.locator('#khabar_publish_token_remove');
    if (await remove.count()) await remove.check();
  } else if (token !== undefined) {
    await page.fill('#khabar_publish_token', token);
  }
  if (lang !== undefined) await page.fill('#khabar_lang', lang);
  for (const [key, on] of Object.entries(placements ?? {})) {
    await page.locator(`input[name="khabar_placements[]"][value="${key}"]`).setChecked(on);
  }
  await Promise.all([page.waitForURL(/settings-updated=true/), page.click('#submit')]);
  return page;
}

/** The stored token and whether WordPress loads it on every request ("yes"/"no"), tab-separated. */
const tokenRow = () => wp.query("SELECT option_value, autoload FROM wp_options WHERE option_name = 'khabar_publish_token'").replace(/\n$/, '');

/** Text of the settings page's "last push" line. */
async function lastPush() {
  const page = await adminPage();
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  const line = page.locator('#khabar-push-status');
  const result = {
    ok: await line.getAttribute('class') === 'khabar-push-ok',
    text: await line.textContent(),
    // The English log line, left to right in the Arabic screen.
    ltr: await line.locator('bdi[dir="ltr"]').count() === 1,
    ids: await page.locator('#khabar-ids').textContent(),
  };
  await page.close();
  return result;
}

/** A tiny PNG (a 1×1 pixel) uploaded with its alt text and caption. */
async function media(alt, caption) {
  const pixel = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNoaPgPAAOBAcAIBTKzAAAAAElFTkSuQmCC', 'base64');
  const uploaded = await expect(201, wp.api('/wp/v2/media', {
    method: 'POST',
    body: pixel,
    headers: { 'content-type': 'image/png', 'content-disposition': 'attachment; filename="bridge.png"' },
  }));
  await expect(200, wp.api(`/wp/v2/media/${uploaded.id}`, { method: 'POST', json: { alt_text: alt, caption } }));
  return uploaded;
}

let post;

test('activated and set up in the browser, the plugin pushes a published post and shows the widget under it', { skip }, async () => {
  const activated = await expect(200, wp.api('/wp/v2/plugins/khabar/khabar', { method: 'POST', json: { status: 'active' } }));
  assert.equal(activated.status, 'active');

  // A wrong address is refused with a message and nothing else is lost.
  // The language is left empty: the site's (ar) is used.
  const refused = await saveSettings({ server: 'ftp://khabar.example', token: TOKEN, lang: '' });
  // In the site's language, from the plugin's own translation.
  assert.equal(await refused.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await refused.locator('label[for="khabar_server_url"]').textContent(), 'عنوان الخادم');
  assert.match(await refused.locator('.notice-error, .error').first().textContent(), /يجب أن يبدأ عنوان الخادم بـ http:\/\/ أو https:\/\//);
  assert.equal(await refused.inputValue('#khabar_server_url'), '');
  // The token is saved (the address alone was refused), and never shown:
  // not in the field, not anywhere in the page.
  assert.equal(await refused.inputValue('#khabar_publish_token'), '');
  assert.equal(await refused.getAttribute('#khabar_publish_token', 'placeholder'), 'محفوظ. اكتب رمزًا جديدًا ليحلّ محلّه.');
  assert.ok(!(await refused.content()).includes(TOKEN), 'the token is not in the settings page');
  assert.equal(tokenRow(), `${TOKEN}\tno`, 'saved, and not among the options loaded on every request');
  assert.equal(await refused.getAttribute('#khabar_lang', 'placeholder'), 'ar');
  await refused.close();
  // An address with a query or a fragment, which every API path would
  // follow, is refused too.
  for (const address of ['https://khabar.example/?site=1', 'https://khabar.example/#x']) {
    const page = await saveSettings({ server: address });
    assert.match(await page.locator('.notice-error, .error').first().textContent(), /بلا \? ولا #/, address);
    assert.equal(await page.inputValue('#khabar_server_url'), '', address);
    await page.close();
  }
  // So is one with a user name or password, which every page would show.
  for (const address of ['https://desk:secret@khabar.example', 'https://desk@khabar.example']) {
    const page = await saveSettings({ server: address });
    assert.match(await page.locator('.notice-error, .error').first().textContent(), /اسم مستخدم ولا كلمة مرور/, address);
    assert.equal(await page.inputValue('#khabar_server_url'), '', address);
    assert.ok(!(await page.content()).includes('secret'), address);
    await page.close();
  }
  // On an https site, an http address (blocked as mixed content) is
  // refused, but for a server on the same machine.
  const scheme = join(wp.contentDir, 'khabar-test-scheme.php');
  writeFileSync(scheme, `<?php
require_once ABSPATH . 'wp-admin/includes/template.php'; // The settings API's messages.
add_filter( 'home_url', function ( $url ) { return set_url_scheme( $url, 'https' ); } );
$out = array();
foreach ( array( 'http://khabar.example', 'http://127.0.0.1:9000', 'https://khabar.example' ) as $address ) {
\t$out[] = Khabar_Settings::clean_server_url( $address );
}
$out[] = implode( ' | ', wp_list_pluck( get_settings_errors( 'khabar_server_url' ), 'message' ) );
echo wp_json_encode( $out );
`);
  try {
    const [plain, loopback, secure, said] = JSON.parse(await wp.cli(scheme));
    assert.equal(plain, '', 'the previous address, none');
    assert.equal(loopback, 'http://127.0.0.1:9000');
    assert.equal(secure, 'https://khabar.example');
    assert.match(said, /https:\/\//);
  } finally {
    unlinkSync(scheme);
  }
  // One saved by an earlier version is never used (nor printed).
  const earlier = join(wp.contentDir, 'khabar-test-userinfo.php');
  writeFileSync(earlier, `<?php
$before = get_option( 'khabar_server_url', '' );
$saved = array();
foreach ( array( 'khabar_push_retry', 'khabar_push_kept' ) as $name ) {
	$saved[ $name ] = get_option( $name, null );
}
update_option( 'khabar_server_url', 'https://desk:secret@khabar.example' );
$out = array( Khabar_Settings::server_url() );
// The settings page shows it without the secret, so that saving keeps the
// host, and says it is not used.
ob_start();
Khabar_Settings::field_server_url();
$field = ob_get_clean();
$out[] = preg_match( '/value="([^"]*)"/', $field, $m ) ? $m[1] : 'no field';
$out[] = false !== strpos( $field, 'khabar-unused' );
// A refused entry keeps it as it was (still unused).
require_once ABSPATH . 'wp-admin/includes/template.php';
$out[] = Khabar_Settings::clean_server_url( 'ftp://elsewhere.example' );
// A post withdrawn meanwhile waits for an address that can be used.
$keep = new ReflectionMethod( 'Khabar_Push', 'keep_while_paused' );
$keep->setAccessible( true );
$keep->invoke( null, 987654 );
$out[] = get_option( 'khabar_push_retry', array() )[987654] ?? 'not kept';
foreach ( $saved as $name => $value ) {
	if ( null === $value ) {
		delete_option( $name );
	} else {
		update_option( $name, $value, false );
	}
}
update_option( 'khabar_server_url', 'https://khabar.example/' );
$out[] = Khabar_Settings::server_url();
update_option( 'khabar_server_url', $before );
echo wp_json_encode( $out );
`);
  try {
    assert.deepEqual(JSON.parse(await wp.cli(earlier)), ['', 'https://khabar.example', true, 'https://desk:secret@khabar.example', 'delete', 'https://khabar.example']);
  } finally {
    unlinkSync(earlier);
  }
  const saved = await saveSettings({ server: server.url, placements: { comments: true, actions: true } });
  assert.equal(await saved.inputValue('#khabar_server_url'), server.url.replace(/\/$/, ''));
  await saved.close();

  const category = await expect(201, wp.api('/wp/v2/categories', { method: 'POST', json: { name: 'نقل' } }));
  const image = await media('الجسر عند الغروب', 'الجسر بعد إعادة افتتاحه');
  post = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST',
    json: {
      title: 'إعادة افتتاح جسر الميناء أمام الدراجات',
      content: '<!-- wp:paragraph --><p>أعيد صباح اليوم افتتاح جسر الميناء بعد أشهر من الصيانة، مع مسار خاص بالدراجات.</p><!-- /wp:paragraph -->',
      status: 'publish', categories: [category.id], featured_media: image.id,
    },
  }));

  // In Khabar already: no sync ran.
  const id = articleId(post.id);
  const article = await stored(id, (s) => s === 200);
  assert.equal(article.title, 'إعادة افتتاح جسر الميناء أمام الدراجات');
  assert.equal(article.url, post.link);
  assert.equal(Date.parse(article.published_at), Date.parse(`${post.date_gmt}Z`));
  assert.equal(article.lang, 'ar');
  assert.equal(article.section, 'نقل');
  assert.match(article.body_html, /مسار خاص بالدراجات/);
  assert.doesNotMatch(article.body_html, /data-khabar/, 'no placeholder in the article itself');
  assert.match(article.summary, /أعيد صباح اليوم افتتاح جسر الميناء/);
  assert.deepEqual(article.image, { url: image.source_url, alt: 'الجسر عند الغروب', caption: 'الجسر بعد إعادة افتتاحه' });
  const pushed = await lastPush();
  assert.ok(pushed.ok, pushed.text);
  assert.match(pushed.text, new RegExp(`PUT ${id}: 201`));
  assert.equal(pushed.ids, `منشورات هذا الموقع في خبر بالمعرّفات ${articleId('{post id}')}.`, 'the settings page names the ids');

  // The post's own page on the WordPress site: the actions row and the
  // comments, whose thread is the pushed article (its URL).
  const { page, problems } = await openPage(browser);
  await page.goto(post.link);
  await widgetsSettled(page);
  await page.locator('[data-khabar="actions"] >> button.print').waitFor();
  await page.locator('[data-khabar="comments"] >> form.comment-form').waitFor();
  assert.equal(await page.locator('#commentform').count(), 0, 'WordPress\'s own comment form gave way');
  assert.equal(await page.locator('script[type="module"][src$="/khabar/khabar.js"]').count(), 1);
  await page.locator('[data-khabar="comments"] >> #kc-author').fill('ريم');
  await page.locator('[data-khabar="comments"] >> #kc-body').fill('أخيراً طريق آمن للدراجات إلى الميناء.');
  await page.locator('[data-khabar="comments"] >> form.comment-form button.send').click();
  await page.locator('[data-khabar="comments"] >> li.comment:not(.pending)').waitFor();
  const comments = await (await fetch(`${server.url}api/v1/articles/${id}/comments`)).json();
  assert.equal(comments.total, 1, 'the comment is on the pushed article');
  assert.deepEqual(problems, []);
  await page.close();

  // The shortcode, on a page of its own.
  const listing = await expect(201, wp.api('/wp/v2/pages', {
    method: 'POST', json: { title: 'آخر الأخبار', content: '[khabar kind="latest" limit="3"]', status: 'publish' },
  }));
  const { page: list } = await openPage(browser);
  await list.goto(listing.link);
  await widgetsSettled(list);
  const titles = await list.locator('[data-khabar="latest"] >> .card-title').allTextContents();
  assert.equal(titles[0], 'إعادة افتتاح جسر الميناء أمام الدراجات', titles.join(' | '));
  await list.close();

  // Its comments, by default the page's own thread: on a public page, not
  // on a private or protected one, whose thread (title, comments) would be
  // public in Khabar. The editor reads them through the REST API, which
  // runs the shortcode as the page would.
  const rendered = async (fields) => {
    const made = await expect(201, wp.api('/wp/v2/pages', { method: 'POST', json: { title: 'نقاش', content: '[khabar]', ...fields } }));
    const query = fields.password ? { context: 'edit', password: fields.password } : { context: 'edit' };
    const read = await expect(200, wp.api(`/wp/v2/pages/${made.id}`, { query }));
    return read.content.rendered;
  };
  assert.match(await rendered({ status: 'publish' }), /data-khabar="comments"/);
  assert.doesNotMatch(await rendered({ status: 'private' }), /data-khabar/);
  assert.doesNotMatch(await rendered({ status: 'publish', password: 'sesame' }), /data-khabar/);
});

test('the token stays out of the options WordPress loads on every request, moved there from an earlier version\'s; its field left empty keeps it', { skip }, async () => {
  // As a version that stored it autoloaded left it.
  wp.query("UPDATE wp_options SET autoload = 'yes' WHERE option_name = 'khabar_publish_token'");
  const page = await saveSettings({ lang: '' });
  assert.equal(tokenRow(), `${TOKEN}\tno`);
  assert.equal(await page.locator('#khabar_publish_token_remove').count(), 1);
  await page.close();

  // Removed, then saved again: read before any other admin page could
  // move it (options.php's redirect to the settings page is not followed).
  (await saveSettings({ token: '' })).close();
  assert.equal(tokenRow(), '\tno');
  const form = await adminPage();
  await form.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  await form.fill('#khabar_publish_token', TOKEN);
  const save = /\/wp-admin\/options\.php$/;
  await form.route(save, async (route) => {
    const answer = await route.fetch({ maxRedirects: 0 });
    await route.fulfill({ status: 200, contentType: 'text/plain', body: `options.php: ${answer.status()}` });
  });
  await Promise.all([form.waitForURL(save), form.click('#submit')]);
  assert.equal(await form.textContent('body'), 'options.php: 302');
  assert.equal(tokenRow(), `${TOKEN}\tno`);
  await form.unroute(save);

  // The admin's own password, as a browser may fill it in, is refused.
  await form.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  await form.fill('#khabar_publish_token', wp.password);
  await Promise.all([form.waitForURL(/settings-updated=true/), form.click('#submit')]);
  assert.match(await form.locator('.notice-error, .error').first().textContent(), /كلمة مرور ووردبريس/);
  assert.equal(tokenRow(), `${TOKEN}\tno`);
  await form.close();
});

test('a post a retry run sent stays on the waiting list when a change of it came meanwhile (trashed while the run sent it)', { skip }, async () => {
  const script = join(wp.contentDir, 'khabar-test-kept.php');
  writeFileSync(script, `<?php
$call = function ( $name, ...$args ) {
	$method = new ReflectionMethod( 'Khabar_Push', $name );
	$method->setAccessible( true );
	return $method->invoke( null, ...$args );
};
$id = 900400;
$call( 'keep', array( $id => 'put' ) );
// The run reads its stamp, then sends the post as it is (published)...
$seen = $call( 'kept' )[ $id ];
// ...while an editor saves it (their request sends it at once, and takes
// it off the list) and another trashes it, whose request could not send.
$call( 'keep', array( $id => 'put' ) );
$call( 'forget', array( $id ) );
$call( 'keep', array( $id => 'delete' ) );
$call( 'forget_sent', array( $id => $seen ) );
$newer = $call( 'pending' )[ $id ] ?? null;
// The next run sends the trash, and nothing came meanwhile.
$call( 'forget_sent', array( $id => $call( 'kept' )[ $id ] ) );
$left = array_key_exists( $id, $call( 'pending' ) ) || array_key_exists( $id, $call( 'kept' ) );
$call( 'forget', array( $id ) );
echo wp_json_encode( array( 'newer' => $newer, 'left' => $left ) );
`);
  try {
    const { newer, left } = JSON.parse(await wp.cli(script));
    assert.equal(newer, 'delete', 'the trash still waits to be sent');
    assert.equal(left, false, 'taken off once sent');
  } finally {
    unlinkSync(script);
  }
});

test('posts kept for a retry, or taken off, by two requests at the same moment all are, or all go (the waiting list is changed under a lock of the database)', { skip }, async () => {
  // What an editor's request and a WP-Cron run do to the list, 150 posts
  // each, one change at a time, from two PHP processes at once (posts that
  // do not exist, taken off again below).
  const script = join(wp.contentDir, 'khabar-waiting-list.php');
  writeFileSync(script, `<?php
    $change = new ReflectionMethod('Khabar_Push', $argv[1] === 'keep' ? 'keep' : 'forget');
    $change->setAccessible(true);
    for ($id = (int) $argv[2]; $id < (int) $argv[3]; $id++) {
      $change->invoke(null, $argv[1] === 'keep' ? array($id => 'put') : array($id));
    }
    wp_cache_delete('khabar_push_retry', 'options');
    $waiting = array_keys((array) get_option('khabar_push_retry', array()));
    echo count(array_filter($waiting, function ($id) { return $id >= 900000; }));
  `);
  const both = async (action) => {
    // Both to their end, even when one fails, before anything is checked or cleaned up.
    const runs = await Promise.allSettled([wp.cli(script, [action, 900000, 900150]), wp.cli(script, [action, 900150, 900300])]);
    for (const run of runs) if (run.status === 'rejected') throw run.reason;
  };
  try {
    await both('keep');
    assert.equal((await wp.cli(script, ['count', 0, 0])).trim(), '300');
    await both('forget');
    assert.equal((await wp.cli(script, ['count', 0, 0])).trim(), '0');
  } finally {
    // None left for the tests after this one, whatever happened.
    await wp.cli(script, ['forget', 900000, 900300]);
  }
});

test('an edit, the trash, a restore and a deletion in WordPress reach Khabar at once; plain links comment by id', { skip }, async () => {
  assert.ok(post, 'the first test published the post');
  const id = articleId(post.id);
  await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'POST', json: { title: 'جسر الميناء يفتح للدراجات والمشاة' } }));
  const edited = await stored(id, (s, a) => a?.title === 'جسر الميناء يفتح للدراجات والمشاة');
  assert.ok(edited.updated_at >= edited.published_at);

  await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'DELETE' }));
  await stored(id, (s) => s === 404);
  assert.match((await lastPush()).text, new RegExp(`DELETE ${id}: 204`));

  await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'POST', json: { status: 'publish' } }));
  const back = await stored(id, (s) => s === 200);
  assert.equal(back.comment_count, 1, 'its comment came back with it');

  // With WordPress's plain links (/?p=12), the comments go by article id:
  // the same thread, with its comment.
  const settings = await adminPage();
  await settings.goto(`${wp.url}/wp-admin/options-permalink.php`);
  await settings.check('input[name="selection"][value=""]');
  await Promise.all([settings.waitForNavigation(), settings.click('#submit')]);
  await settings.close();
  const plainLink = (await expect(200, wp.api(`/wp/v2/posts/${post.id}`))).link;
  assert.match(plainLink, /\/\?p=\d+$/);
  const { page, problems } = await openPage(browser);
  await page.goto(plainLink);
  await widgetsSettled(page);
  assert.equal(await page.locator('[data-khabar="comments"]').getAttribute('data-khabar-article-id'), id);
  await page.locator('[data-khabar="comments"] >> li.comment').waitFor();
  assert.match(await page.locator('[data-khabar="comments"] >> li.comment').textContent(), /طريق آمن للدراجات/);
  assert.deepEqual(problems, []);
  await page.close();

  await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'DELETE', query: { force: 'true' } }));
  await stored(id, (s) => s === 404);
});

test('with Khabar down, publishing still works; the failure is shown and logged; the retry sends each post as it is by then', { skip }, async () => {
  // A hook of this test's site: runs the plugin's retry now (WP-Cron would
  // in five minutes) and answers with what is still waiting.
  mkdirSync(join(wp.contentDir, 'mu-plugins'), { recursive: true });
  writeFileSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-retry.php'), `<?php
add_action( 'rest_api_init', function () {
\tregister_rest_route( 'khabar-test/v1', '/retry', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function () {
\t\t\tdo_action( 'khabar_retry_push' );
\t\t\t$waiting = (array) get_option( 'khabar_push_retry', array() );
\t\t\t// "Send every published post" under way: what it has still to send.
\t\t\tif ( false !== get_option( 'khabar_push_all', false ) ) {
\t\t\t\t$waiting['walk'] = Khabar_Push::waiting() - count( $waiting );
\t\t\t}
\t\t\treturn (object) $waiting;
\t\t},
\t) );
} );
`);
  const down = `http://127.0.0.1:${await freePort()}`;
  (await saveSettings({ server: down })).close();
  const created = await wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر بينما الخادم متوقف', content: '<p>نص قصير.</p>', status: 'publish' },
  });
  assert.equal(created.status, 201, 'the editor\'s save succeeded');
  const failed = await lastPush();
  assert.ok(!failed.ok, failed.text);
  assert.match(failed.text, new RegExp(`PUT ${articleId(created.json.id)}: `));
  assert.match(wp.errors(), /Khabar: push failed: PUT /);
  assert.equal((await fetch(`${server.url}api/v1/articles/${articleId(created.json.id)}`)).status, 404);
  // Trashed while Khabar is still down: its DELETE waits for the retry too.
  await expect(200, wp.api(`/wp/v2/posts/${created.json.id}`, { method: 'DELETE' }));
  (await saveSettings({ server: server.url })).close();
  // Restored once Khabar is back: it goes at once, and the retry sends the
  // post as it is now, not the DELETE that failed (nothing is left).
  await expect(200, wp.api(`/wp/v2/posts/${created.json.id}`, { method: 'POST', json: { status: 'publish' } }));
  await stored(articleId(created.json.id), (status) => status === 200);
  assert.deepEqual(await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' })), {});
  assert.equal((await fetch(`${server.url}api/v1/articles/${articleId(created.json.id)}`)).status, 200);

  // A post behind a password is not Khabar's: no comments under it.
  const locked = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر للمشتركين', content: '<p>نص.</p>', status: 'publish', password: 'secret-word' },
  }));
  const html = await (await fetch(locked.link)).text();
  assert.ok(html.includes('post-password-form'), 'WordPress asks for the password');
  assert.ok(!html.includes('data-khabar="comments"'), 'no comment section');
});

test('a post trashed or edited in another request while the retry\'s PUT of it is on its way ends in Khabar as it is now', { skip }, async () => {
  // The editor's trash or edit lands between the retry reading the post
  // and Khabar's answer to its PUT (the editor's own request went first).
  const during = join(wp.contentDir, 'mu-plugins', 'khabar-test-trash-during-put.php');
  writeFileSync(during, `<?php
add_filter( 'http_response', function ( $response, $args, $url ) {
\tif ( 'PUT' === $args['method'] && false !== strpos( (string) $args['body'], 'TRASHED-DURING-PUT' ) ) {
\t\tglobal $wpdb;
\t\t$id = (int) substr( $url, strrpos( $url, '-' ) + 1 );
\t\t$wpdb->update( $wpdb->posts, array( 'post_status' => 'trash' ), array( 'ID' => $id ) );
\t}
\tif ( 'PUT' === $args['method'] && false !== strpos( (string) $args['body'], 'EDITED-DURING-PUT' ) ) {
\t\tglobal $wpdb;
\t\t$id    = (int) substr( $url, strrpos( $url, '-' ) + 1 );
\t\t$later = time() + 60;
\t\t$wpdb->update( $wpdb->posts, array(
\t\t\t'post_title'        => 'Edited while it went',
\t\t\t'post_modified'     => gmdate( 'Y-m-d H:i:s', $later ),
\t\t\t'post_modified_gmt' => gmdate( 'Y-m-d H:i:s', $later ),
\t\t), array( 'ID' => $id ) );
\t}
\treturn $response;
}, 10, 3 );
`);
  try {
    const down = `http://127.0.0.1:${await freePort()}`;
    (await saveSettings({ server: down })).close();
    const post = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'TRASHED-DURING-PUT خبر', content: '<p>نص.</p>', status: 'publish' },
    }));
    const edited = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'EDITED-DURING-PUT خبر', content: '<p>نص.</p>', status: 'publish' },
    }));
    (await saveSettings({ server: server.url })).close();
    assert.deepEqual(await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' })), {});
    await stored(articleId(post.id), (status) => status === 404);
    const now = await (await fetch(`${server.url}api/v1/articles/${articleId(edited.id)}`)).json();
    assert.equal(now.title, 'Edited while it went');
  } finally {
    unlinkSync(during);
  }
});

test('posts published before the plugin had a token go with "send every published post", a batch a run', { skip }, async () => {
  // One post a run, so that this handful of posts takes several runs.
  writeFileSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-batch.php'),
    "<?php\nadd_filter( 'khabar_push_batch', function () { return 1; } );\n");
  // Published while no token was set: nothing went.
  (await saveSettings({ token: '' })).close();
  const older = [];
  for (const title of ['خبر من الأرشيف', 'خبر أقدم من الأرشيف']) {
    older.push((await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title, content: '<p>نص من قبل.</p>', status: 'publish' },
    }))).id);
  }
  for (const id of older) {
    assert.equal((await fetch(`${server.url}api/v1/articles/${articleId(id)}`)).status, 404);
  }
  const page = await saveSettings({ token: TOKEN });
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  await Promise.all([page.waitForURL(/khabar-queued=\d+/), page.click('#khabar-push-all')]);
  const queued = Number(new URL(page.url()).searchParams.get('khabar-queued'));
  assert.ok(queued >= older.length + 1, `every published post was queued: ${queued}`);
  assert.match(await page.locator('#khabar-queued').textContent(), /في طريقها إلى خبر/);
  await page.close();
  // WP-Cron may already be sending; the test's hook runs the batches until
  // none waits.
  let waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
  assert.ok(Object.keys(waiting).length > 0, 'one run sends one post; the others wait');
  for (let run = 0; run < queued && Object.keys(waiting).length > 0; run++) {
    waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
  }
  assert.deepEqual(waiting, {}, 'nothing left waiting');
  for (const id of older) {
    const article = await stored(articleId(id), (status) => status === 200);
    assert.match(article.title, /الأرشيف/);
  }
});

test('a change of the permalinks sends every published post again, with its new address (a post\'s comments are found by its address)', { skip }, async () => {
  // Still one post a run (the test above): the walk takes several runs.
  const hooks = join(wp.contentDir, 'mu-plugins', 'khabar-test-permalinks.php');
  writeFileSync(hooks, `<?php
add_action( 'rest_api_init', function () {
\t// Settings → Permalinks, as its page saves it.
\tregister_rest_route( 'khabar-test/v1', '/permalinks', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\t$GLOBALS['wp_rewrite']->set_permalink_structure( (string) $request->get_param( 'structure' ) );
\t\t\treturn true;
\t\t},
\t) );
} );
`);
  const post = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر يتغير عنوانه', slug: 'moved-story', content: '<p>نص.</p>', status: 'publish' },
  }));
  const plain = (status, body) => status === 200 && /\?p=\d+$/.test(body.url);
  await stored(articleId(post.id), plain);
  const sendAll = async () => {
    let waiting = null;
    for (let run = 0; run < 200 && (waiting === null || Object.keys(waiting).length > 0); run++) {
      waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
    }
    assert.deepEqual(waiting, {}, 'nothing left waiting');
  };
  try {
    await expect(200, wp.api('/khabar-test/v1/permalinks', { method: 'POST', json: { structure: '/%postname%/' } }));
    await sendAll();
    const moved = await stored(articleId(post.id), (status, body) => status === 200 && body.url.endsWith('/moved-story/'));
    assert.equal(moved.url, `${wp.url}/moved-story/`);
    // Links that name the category: a category renamed moves its posts.
    const category = await expect(201, wp.api('/wp/v2/categories', { method: 'POST', json: { name: 'المدينة', slug: 'town' } }));
    await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'POST', json: { categories: [category.id] } }));
    await expect(200, wp.api('/khabar-test/v1/permalinks', { method: 'POST', json: { structure: '/%category%/%postname%/' } }));
    await sendAll();
    await stored(articleId(post.id), (status, body) => status === 200 && body.url === `${wp.url}/town/moved-story/`);
    await expect(200, wp.api(`/wp/v2/categories/${category.id}`, { method: 'POST', json: { slug: 'city' } }));
    await sendAll();
    await stored(articleId(post.id), (status, body) => status === 200 && body.url === `${wp.url}/city/moved-story/`);
    // Deleted, its posts go to the default category, and move again.
    await expect(200, wp.api(`/wp/v2/categories/${category.id}`, { method: 'DELETE', query: { force: 'true' } }));
    await sendAll();
    const { link } = await expect(200, wp.api(`/wp/v2/posts/${post.id}`));
    assert.ok(link.endsWith('/moved-story/') && !link.includes('/city/'), link);
    await stored(articleId(post.id), (status, body) => status === 200 && body.url === link);
  } finally {
    // Back to plain links for the tests after this one.
    await expect(200, wp.api('/khabar-test/v1/permalinks', { method: 'POST', json: { structure: '' } }));
    await sendAll();
    unlinkSync(hooks);
  }
  await stored(articleId(post.id), plain);
});

test('a post Khabar cannot take yet goes to the back of the list: the others go, it follows once Khabar takes it', { skip }, async () => {
  // Still one post a run (the test above). Made while no token was set,
  // the failing post is queued among the others (newest first; the three
  // may share a second), before some of them at least.
  (await saveSettings({ token: '' })).close();
  const others = [];
  for (const title of ['خبر قبل العطل', 'خبر آخر قبل العطل']) {
    others.push((await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title, content: '<p>نص.</p>', status: 'publish' },
    }))).id);
  }
  const bad = (await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر يتعثر', content: '<p>نص.</p>', status: 'publish' },
  }))).id;
  // Every request about that post fails as an unreachable Khabar would.
  const refuse = join(wp.contentDir, 'mu-plugins', 'khabar-test-refuse.php');
  writeFileSync(refuse, `<?php
add_filter( 'pre_http_request', function ( $pre, $args, $url ) {
\treturn str_ends_with( $url, '/api/v1/admin/articles/${articleId(bad)}' )
\t\t? new WP_Error( 'khabar_test', 'refused for the test' ) : $pre;
}, 10, 3 );
`);
  const page = await saveSettings({ token: TOKEN });
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  await Promise.all([page.waitForURL(/khabar-queued=\d+/), page.click('#khabar-push-all')]);
  const queued = Number(new URL(page.url()).searchParams.get('khabar-queued'));
  await page.close();
  // Had the failing post stayed first, every run would try it alone.
  let waiting = null;
  for (let run = 0; run < queued + 2; run++) {
    waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
    if (Object.keys(waiting).length <= 1) break;
  }
  assert.deepEqual(waiting, { [bad]: 'put' }, 'only the failing post waits');
  for (const id of others) await stored(articleId(id), (status) => status === 200);
  assert.equal((await fetch(`${server.url}api/v1/articles/${articleId(bad)}`)).status, 404);
  assert.match(wp.errors(), new RegExp(`Khabar: push failed: PUT ${articleId(bad)}: refused for the test`));

  // Khabar takes it again: the next run sends it.
  unlinkSync(refuse);
  assert.deepEqual(await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' })), {});
  await stored(articleId(bad), (status) => status === 200);
});

test('"send every published post" on an archive keeps a cursor, not a list of the posts: they go newest first, a batch a run, all of them', { skip }, async () => {
  // An archive of 240 posts published while no token was set, two to a
  // minute (posts of one instant are walked by id), oldest in 2019.
  (await saveSettings({ token: '' })).close();
  const script = join(wp.contentDir, 'khabar-archive.php');
  writeFileSync(script, `<?php
    if ($argv[1] === 'make') {
      $ids = array();
      for ($n = 0; $n < 240; $n++) {
        $at = gmdate('Y-m-d H:i:s', gmmktime(8, 0, 0, 3, 1, 2019) + intdiv($n, 2) * 60);
        $ids[] = wp_insert_post(array('post_title' => 'أرشيف ' . $n, 'post_content' => '<p>نص قديم.</p>',
          'post_status' => 'publish', 'post_date' => $at, 'post_date_gmt' => $at));
      }
      echo json_encode($ids);
    } elseif ($argv[1] === 'options') {
      wp_cache_delete('khabar_push_retry', 'options');
      wp_cache_delete('khabar_push_all', 'options');
      echo json_encode(array('list' => strlen(serialize(get_option('khabar_push_retry', array()))),
        'walk' => get_option('khabar_push_all', null)));
    } else {
      // Gone without a word to Khabar: no later test finds them waiting.
      remove_all_actions('before_delete_post');
      foreach (json_decode($argv[2]) as $id) wp_delete_post($id, true);
    }
  `);
  // A hundred a run, over the one a run of the tests above (a file of its
  // own: PHP may keep a file rewritten within the same second compiled as
  // it was).
  const batch = join(wp.contentDir, 'mu-plugins', 'khabar-test-archive-batch.php');
  const ids = JSON.parse(await wp.cli(script, ['make']));
  try {
    assert.equal(ids.length, 240);
    const page = await saveSettings({ token: TOKEN });
    await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
    await Promise.all([page.waitForURL(/khabar-queued=\d+/), page.click('#khabar-push-all')]);
    const queued = Number(new URL(page.url()).searchParams.get('khabar-queued'));
    assert.ok(queued >= 240, `every published post: ${queued}`);
    await page.close();
    // What is stored for them: a cursor of a few bytes, whatever the archive's size.
    const { list, walk } = JSON.parse(await wp.cli(script, ['options']));
    assert.ok(list < 100, `the waiting list stays small: ${list} bytes`);
    assert.ok(walk && 'started' in walk, JSON.stringify(walk));
    writeFileSync(batch, "<?php\nadd_filter( 'khabar_push_batch', function () { return 100; }, 20 );\n");
    // The database fails the walk's query once: the walk stays, where it was.
    const broken = join(wp.contentDir, 'mu-plugins', 'khabar-test-broken-walk.php');
    writeFileSync(broken, `<?php
add_filter( 'query', function ( $sql ) {
\treturn str_contains( $sql, 'ORDER BY post_date DESC, ID DESC LIMIT' ) ? 'SELECT * FROM khabar_no_such_table' : $sql;
} );
`);
    try {
      const during = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
      assert.ok(during.walk >= 240, JSON.stringify(during));
      assert.ok(JSON.parse(await wp.cli(script, ['options'])).walk, 'the walk is kept');
    } finally {
      rmSync(broken, { force: true });
    }
    const there = async (some) => (await Promise.all(some.map((id) => fetch(`${server.url}api/v1/articles/${articleId(id)}`))))
      .map((r) => r.status === 200);
    let waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
    assert.ok(waiting.walk > 0, JSON.stringify(waiting));
    // Newest first: the last made is in Khabar, the first still waits.
    assert.deepEqual(await there([ids[239], ids[238], ids[0], ids[1]]), [true, true, false, false]);
    for (let run = 0; run < 10 && Object.keys(waiting).length > 0; run++) {
      waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
    }
    assert.deepEqual(waiting, {}, 'nothing left waiting');
    assert.ok((await there(ids)).every(Boolean), 'every post of the archive is in Khabar');
    assert.equal(JSON.parse(await wp.cli(script, ['options'])).walk, null, 'the walk ended');
  } finally {
    rmSync(batch, { force: true });
    await wp.cli(script, ['delete', JSON.stringify(ids)]);
  }
});

test('a request that publishes many posts (a bulk edit, an import) sends ten itself and hands the rest to the retry, due at once', { skip }, async () => {
  writeFileSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-bulk.php'), `<?php
add_action( 'rest_api_init', function () {
\t// Publishes \`count\` posts in this one request, as a bulk edit does.
\tregister_rest_route( 'khabar-test/v1', '/bulk', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\t$ids = array();
\t\t\tfor ( $n = 0; $n < (int) $request->get_param( 'count' ); $n++ ) {
\t\t\t\t$ids[] = wp_insert_post( array( 'post_title' => 'خبر بالجملة ' . $n, 'post_content' => '<p>نص.</p>', 'post_status' => 'publish' ) );
\t\t\t}
\t\t\treturn $ids;
\t\t},
\t) );
\tregister_rest_route( 'khabar-test/v1', '/retry-due', array(
\t\t'methods'             => 'GET',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function () {
\t\t\t$at = wp_next_scheduled( 'khabar_retry_push' );
\t\t\treturn false === $at ? null : $at - time();
\t\t},
\t) );
} );
`);
  try {
    (await saveSettings({ token: TOKEN })).close();
    const ids = await expect(200, wp.api('/khabar-test/v1/bulk', { method: 'POST', json: { count: 25 } }));
    assert.equal(ids.length, 25);
    // The request's own end sent the first ten; the rest wait, due now.
    const there = async () => (await Promise.all(ids.map((id) => fetch(`${server.url}api/v1/articles/${articleId(id)}`))))
      .filter((r) => r.status === 200).length;
    assert.equal(await there(), 10);
    const due = await expect(200, wp.api('/khabar-test/v1/retry-due'));
    assert.ok(due !== null && due <= 1, `the retry is due at once: ${due}`);
    let waiting = null;
    for (let run = 0; run < 40; run++) {
      waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
      if (Object.keys(waiting).length === 0) break;
    }
    assert.deepEqual(waiting, {});
    assert.equal(await there(), 25);
  } finally {
    unlinkSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-bulk.php'));
  }
});

test('a post Khabar refuses as it is stays listed on the settings page, past later pushes, until it goes through', { skip }, async () => {
  (await saveSettings({ token: TOKEN })).close();
  const bad = (await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر يرفضه خبر', content: '<p>نص.</p>', status: 'draft' },
  }))).id;
  // Khabar answers 422 for that post, as for one it cannot store.
  const refuse = join(wp.contentDir, 'mu-plugins', 'khabar-test-refuse-422.php');
  writeFileSync(refuse, `<?php
add_filter( 'pre_http_request', function ( $pre, $args, $url ) {
\treturn str_ends_with( $url, '/api/v1/admin/articles/${articleId(bad)}' ) && 'PUT' === $args['method']
\t\t? array(
\t\t\t'headers'  => array(),
\t\t\t'body'     => '{"error":{"message":"summary: too long for the test"}}',
\t\t\t'response' => array( 'code' => 422, 'message' => 'Unprocessable Content' ),
\t\t\t'cookies'  => array(),
\t\t\t'filename' => null,
\t\t)
\t\t: $pre;
}, 10, 3 );
`);
  try {
    await expect(200, wp.api(`/wp/v2/posts/${bad}`, { method: 'POST', json: { status: 'publish' } }));
    // A later post goes through, and "Last push" says so.
    const good = (await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر يمرّ بعده', content: '<p>نص.</p>', status: 'publish' },
    }))).id;
    await stored(articleId(good), (status) => status === 200);
    const page = await adminPage();
    await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
    assert.match(await page.locator('#khabar-push-status').textContent(), new RegExp(`PUT ${articleId(good)}: 20[01]`));
    const listed = page.locator('#khabar-refused li');
    assert.equal(await listed.count(), 1);
    const line = await listed.textContent();
    assert.match(line, /خبر يرفضه خبر/);
    assert.match(line, /HTTP 422 .*summary: too long for the test/);
    assert.match(await page.locator('#khabar-refused').evaluate((ul) => ul.previousElementSibling.previousElementSibling.textContent), /تدوينات رفضها خبر/);
    assert.ok((await listed.locator('a').getAttribute('href')).includes(`post=${bad}`));
    await page.close();
  } finally {
    unlinkSync(refuse);
  }
  // Saved again, it goes, and leaves the list.
  await expect(200, wp.api(`/wp/v2/posts/${bad}`, { method: 'POST', json: { content: '<p>نص أقصر.</p>' } }));
  await stored(articleId(bad), (status) => status === 200);
  const page = await adminPage();
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=khabar`);
  assert.equal(await page.locator('#khabar-refused').count(), 0);
  await page.close();
});

/** Hooks of this test's site into WP-Cron and Settings → Discussion, as REST routes. */
function cronHooks() {
  mkdirSync(join(wp.contentDir, 'mu-plugins'), { recursive: true });
  writeFileSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-cron.php'), `<?php
add_action( 'rest_api_init', function () {
\t// Settings → Discussion: close comments on posts older than \`days\` (0: never).
\tregister_rest_route( 'khabar-test/v1', '/close-after', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\t$days = (int) $request->get_param( 'days' );
\t\t\tupdate_option( 'close_comments_for_old_posts', $days > 0 ? 1 : 0 );
\t\t\tupdate_option( 'close_comments_days_old', max( 1, $days ) );
\t\t\treturn true;
\t\t},
\t) );
\t// Post \`id\` published \`days\` ago, and nothing else run.
\tregister_rest_route( 'khabar-test/v1', '/backdate', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\tglobal $wpdb;
\t\t\t$id   = (int) $request->get_param( 'id' );
\t\t\t$then = time() - (int) $request->get_param( 'days' ) * DAY_IN_SECONDS;
\t\t\t$wpdb->update( $wpdb->posts, array( 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $then ) ), array( 'ID' => $id ) );
\t\t\tclean_post_cache( $id );
\t\t\treturn true;
\t\t},
\t) );
\t// The closing event and the push's run of what waits, now (WP-Cron
\t// runs them soon after).
\tregister_rest_route( 'khabar-test/v1', '/push', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function () {
\t\t\tdo_action( 'khabar_close_due' );
\t\t\tdo_action( 'khabar_retry_push' );
\t\t\treturn true;
\t\t},
\t) );
\t// When \`hook\` (with \`args\`) is due next, and how many events it has.
\tregister_rest_route( 'khabar-test/v1', '/next', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\t$hook   = $request->get_param( 'hook' );
\t\t\t$events = 0;
\t\t\tforeach ( _get_cron_array() as $due ) {
\t\t\t\t$events += isset( $due[ $hook ] ) ? count( $due[ $hook ] ) : 0;
\t\t\t}
\t\t\treturn array( 'next' => wp_next_scheduled( $hook, (array) $request->get_param( 'args' ) ), 'events' => $events );
\t\t},
\t) );
\t// Post \`id\` made older than the age for comments, its closing two
\t// minutes ago, after the closing event's last run (as if the days had
\t// passed), and the event and the retry it hands the post to run now
\t// (WP-Cron would run them when due).
\tregister_rest_route( 'khabar-test/v1', '/age', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function ( $request ) {
\t\t\tglobal $wpdb;
\t\t\t$id   = (int) $request->get_param( 'id' );
\t\t\t$then = time() - (int) get_option( 'close_comments_days_old' ) * DAY_IN_SECONDS - 120;
\t\t\t$wpdb->update( $wpdb->posts, array( 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $then ) ), array( 'ID' => $id ) );
\t\t\tclean_post_cache( $id );
\t\t\tupdate_option( 'khabar_closed_through', min( (int) get_option( 'khabar_closed_through' ), time() - 180 ) );
\t\t\tdo_action( 'khabar_close_due' );
\t\t\tdo_action( 'khabar_retry_push' );
\t\t\treturn true;
\t\t},
\t) );
} );
`);
}

test('a token Khabar refuses, an address that redirects, or a Khabar whose publishing API is off, loses no change: it waits (the token never follows a redirect), and goes once the settings are put right', { skip }, async () => {
  cronHooks();
  // Pushed while all is well, to be trashed below.
  const kept = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر يُحذف لاحقاً', content: '<p>نص.</p>', status: 'publish' },
  }));
  await stored(articleId(kept.id), (status) => status === 200);
  // A wrong token: the new post's PUT gets a 401.
  (await saveSettings({ token: 'not-the-publish-token' })).close();
  const fresh = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر والرمز خاطئ', content: '<p>نص.</p>', status: 'publish' },
  }));
  const refused = await lastPush();
  assert.ok(!refused.ok, refused.text);
  assert.match(refused.text, new RegExp(`PUT ${articleId(fresh.id)}: HTTP 401`));
  assert.ok(refused.ltr, 'the log line is set left to right');
  // An address that redirects (moved to https, to another host): the
  // change does not follow it with the token (a redirected DELETE would
  // also arrive as a GET); it waits, and the log says where to.
  const redirector = createServer((req, res) => {
    res.writeHead(308, { location: new URL(req.url, server.url).href });
    res.end();
  });
  await new Promise((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  let moved;
  try {
    (await saveSettings({ server: `http://127.0.0.1:${redirector.address().port}`, token: TOKEN })).close();
    moved = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر وعنوان الخادم منقول', content: '<p>نص.</p>', status: 'publish' },
    }));
    const redirected = await lastPush();
    assert.ok(!redirected.ok, redirected.text);
    assert.match(redirected.text, new RegExp(`PUT ${articleId(moved.id)}: HTTP 308 to ${server.url}api/v1/admin/articles/`));
    await stored(articleId(moved.id), (status) => status === 404);
  } finally {
    await new Promise((resolve) => redirector.close(resolve));
  }
  // A Khabar started without --publish-token: the trash's DELETE gets the
  // 404 of its publishing routes, not of the article.
  const off = await startServer();
  try {
    (await saveSettings({ server: off.url, token: TOKEN })).close();
    await expect(200, wp.api(`/wp/v2/posts/${kept.id}`, { method: 'DELETE' }));
    assert.match(wp.errors(), new RegExp(`Khabar: push failed: DELETE ${articleId(kept.id)}: HTTP 404`));
    const waiting = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
    assert.equal(waiting[fresh.id], 'put', JSON.stringify(waiting));
    assert.equal(waiting[moved.id], 'put', JSON.stringify(waiting));
    assert.equal(waiting[kept.id], 'delete', JSON.stringify(waiting));
  } finally {
    await off.stop();
    off.cleanup();
  }
  // Put right: saving the settings starts sending what waits.
  (await saveSettings({ server: server.url })).close();
  const { next } = await expect(200, wp.api('/khabar-test/v1/next', { method: 'POST', json: { hook: 'khabar_retry_push' } }));
  assert.ok(next && next <= Date.now() / 1000 + 5, `a run is due now: ${next}`);
  let left = null;
  for (let run = 0; run < 4 && (left === null || Object.keys(left).length > 0); run++) {
    left = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
  }
  assert.deepEqual(left, {});
  await stored(articleId(fresh.id), (status) => status === 200);
  await stored(articleId(moved.id), (status) => status === 200);
  await stored(articleId(kept.id), (status) => status === 404);
});

test('a post another plugin cannot render, or prints while rendered, or a request cut short while sending, leaves nothing stuck; a token entered again sends what waits', { skip }, async () => {
  cronHooks();
  writeFileSync(join(wp.contentDir, 'mu-plugins', 'khabar-test-unschedule.php'), `<?php
add_action( 'rest_api_init', function () {
\tregister_rest_route( 'khabar-test/v1', '/unschedule', array(
\t\t'methods'             => 'POST',
\t\t'permission_callback' => '__return_true',
\t\t'callback'            => function () {
\t\t\twp_clear_scheduled_hook( 'khabar_retry_push' );
\t\t\treturn true;
\t\t},
\t) );
} );
`);
  // Another plugin's filter that fails on one post, and a host that ends
  // the request while one post is being sent (a time limit, say).
  const broken = join(wp.contentDir, 'mu-plugins', 'khabar-test-broken.php');
  writeFileSync(broken, `<?php
add_filter( 'the_content', function ( $content ) {
\tif ( str_contains( $content, 'BOOM' ) ) {
\t\tthrow new Error( 'a shortcode failed for the test' );
\t}
\tif ( str_contains( $content, 'NOISY' ) ) {
\t\techo 'printed by a shortcode';
\t}
\treturn $content;
} );
add_filter( 'pre_http_request', function ( $pre, $args ) {
\tif ( str_contains( (string) ( $args['body'] ?? '' ), 'CUT-SHORT' ) ) {
\t\texit;
\t}
\treturn $pre;
}, 10, 2 );
`);
  const next = async () => (await expect(200, wp.api('/khabar-test/v1/next', { method: 'POST', json: { hook: 'khabar_retry_push' } }))).next;
  try {
    // The post that cannot be rendered: its failure is logged, and it
    // does not wait in front of the others.
    // (Its id alone is asked back: WordPress's answer would render it too.)
    const boom = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', query: { _fields: 'id' }, json: { title: 'خبر لا يُعرض', content: '<p>BOOM</p>', status: 'publish' },
    }));
    const failed = await lastPush();
    assert.ok(!failed.ok, failed.text);
    assert.match(failed.text, new RegExp(`PUT ${articleId(boom.id)}: a shortcode failed for the test`));
    const fine = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر يُعرض', content: '<p>نص.</p>', status: 'publish' },
    }));
    await stored(articleId(fine.id), (status) => status === 200);
    assert.equal((await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' })))[boom.id], undefined);
    // A shortcode that prints as it renders (or a notice shown): the push,
    // as the request ends, keeps it out of the editor's JSON answer.
    const noisy = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', query: { _fields: 'id' }, json: { title: 'خبر يطبع', content: '<p>NOISY</p>', status: 'publish' },
    }));
    await stored(articleId(noisy.id), (status) => status === 200);

    // Cut short while sending: the post waits, and a retry is due for it.
    await expect(200, wp.api('/khabar-test/v1/unschedule', { method: 'POST' }));
    const cut = await wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'CUT-SHORT خبر', content: '<p>نص.</p>', status: 'publish' },
    });
    assert.equal(cut.status, 201, 'the editor\'s save was done before the sending');
    assert.ok(await next(), 'a retry is due for what waits');
  } finally {
    unlinkSync(broken);
  }
  // Nothing due, the token emptied and entered again (WordPress adds an
  // option whose stored value was the default, it does not update it): what
  // waits goes at once.
  await expect(200, wp.api('/khabar-test/v1/unschedule', { method: 'POST' }));
  assert.equal(await next(), false);
  (await saveSettings({ token: '' })).close();
  (await saveSettings({ token: TOKEN })).close();
  const due = await next();
  assert.ok(due && due <= Date.now() / 1000 + 5, `a run is due now: ${due}`);
  let left = null;
  for (let run = 0; run < 4 && (left === null || Object.keys(left).length > 0); run++) {
    left = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
  }
  assert.deepEqual(left, {});
});

test('comments WordPress closes by age are closed in Khabar: at once on an older post, at that age on a newer one; an untitled post goes with its first words; a post behind a password keeps WordPress\'s form', { skip }, async () => {
  cronHooks();
  await expect(200, wp.api('/khabar-test/v1/close-after', { method: 'POST', json: { days: 14 } }));
  try {
    // Turned on, the closing first sends the site's posts already past
    // the age (the event, due at once).
    await expect(200, wp.api('/khabar-test/v1/push', { method: 'POST' }));
    const old = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر من العام الماضي', content: '<p>نص.</p>', status: 'publish', date_gmt: '2025-11-01T09:00:00' },
    }));
    assert.equal((await stored(articleId(old.id), (status) => status === 200)).comments_open, false);

    const fresh = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر اليوم والتعليق مفتوح', content: '<p>نص.</p>', status: 'publish' },
    }));
    assert.equal((await stored(articleId(fresh.id), (status) => status === 200)).comments_open, true);
    const later = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'خبر آخر اليوم', content: '<p>نص.</p>', status: 'publish' },
    }));
    await stored(articleId(later.id), (status) => status === 200);
    // One event for all the posts, due a minute after the first of them
    // (published by the tests before this one, minutes ago) closes.
    const planned = await expect(200, wp.api('/khabar-test/v1/next', { method: 'POST', json: { hook: 'khabar_close_due' } }));
    const closes = Date.parse(`${fresh.date_gmt}Z`) / 1000 + 14 * 86400;
    assert.equal(planned.events, 1, 'one closing event, whatever the number of posts');
    assert.ok(planned.next <= closes + 60 && planned.next > closes - 3600, `due by a minute after the post closes: ${planned.next} vs ${closes}`);
    assert.equal((await expect(200, wp.api('/khabar-test/v1/next', { method: 'POST', json: { hook: 'khabar_comments_closed' } }))).events, 0);
    await expect(200, wp.api('/khabar-test/v1/age', { method: 'POST', json: { id: fresh.id } }));
    await stored(articleId(fresh.id), (status, article) => article?.comments_open === false);
    // The next closing is planned on from there: the event again, once.
    assert.equal((await expect(200, wp.api('/khabar-test/v1/next', { method: 'POST', json: { hook: 'khabar_close_due' } }))).events, 1);
    assert.equal((await stored(articleId(later.id), (status) => status === 200)).comments_open, true);

    // The age shortened (14 days to 3): a post of 5 days, open in Khabar,
    // is closed there at once, with no closing event; lengthened again,
    // it opens again.
    await expect(200, wp.api('/khabar-test/v1/backdate', { method: 'POST', json: { id: later.id, days: 5 } }));
    await expect(200, wp.api('/khabar-test/v1/close-after', { method: 'POST', json: { days: 3 } }));
    await expect(200, wp.api('/khabar-test/v1/push', { method: 'POST' }));
    await stored(articleId(later.id), (status, article) => article?.comments_open === false);
    await expect(200, wp.api('/khabar-test/v1/close-after', { method: 'POST', json: { days: 14 } }));
    await expect(200, wp.api('/khabar-test/v1/push', { method: 'POST' }));
    await stored(articleId(later.id), (status, article) => article?.comments_open === true);
  } finally {
    await expect(200, wp.api('/khabar-test/v1/close-after', { method: 'POST', json: { days: 0 } }));
  }

  // Both editors publish without a title; Khabar needs one.
  const untitled = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: '', content: '<p>افتتح السوق الشتوي أبوابه صباح اليوم وسط إقبال كبير من أهل الحي على البسطات الجديدة</p>', status: 'publish' },
  }));
  const article = await stored(articleId(untitled.id), (status) => status === 200);
  assert.match(article.title, /^افتتح السوق الشتوي أبوابه/);

  // Behind a password, once the reader has given it: WordPress's own form.
  const locked = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر للمشتركين وحدهم', content: '<p>نص للمشتركين.</p>', status: 'publish', password: 'secret-word' },
  }));
  const { page, problems } = await openPage(browser);
  await page.goto(locked.link);
  await page.locator('.post-password-form input[type="password"]').fill('secret-word');
  await Promise.all([page.waitForNavigation(), page.locator('.post-password-form [type="submit"]').click()]);
  await page.locator('text=نص للمشتركين').waitFor();
  assert.equal(await page.locator('#commentform').count(), 1, 'WordPress\'s comment form');
  assert.equal(await page.locator('[data-khabar="comments"]').count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

/**
 * The start of the closing tests' CLI scripts: posts made with the push
 * unhooked (Khabar never sees them), and `$runs`, the closing event's
 * runs until nothing a change of the age left is to send.
 */
const CLOSING_SCRIPT = `<?php
remove_action( 'wp_after_insert_post', array( 'Khabar_Push', 'after_save' ), 10 );
remove_action( 'before_delete_post', array( 'Khabar_Push', 'before_delete' ), 10 );
$runs = function () {
	for ( $i = 0; $i < 20 && false !== get_option( 'khabar_closing_redo', false ); $i++ ) {
		do_action( 'khabar_close_due' );
	}
};
`;

test('a run of the closing event hands every post that closed since the last to the push, past a full batch and all of one second, and plans the next', { skip }, async () => {
  // 130 posts published at one moment (an import), 40 more a second
  // later, all past the age for comments: a run takes 100 and the rest
  // of that second, the next run the others. The posts are made with
  // the push unhooked and taken off the waiting list after, so that
  // Khabar never sees them.
  const script = join(wp.contentDir, 'khabar-test-closing.php');
  writeFileSync(script, `${CLOSING_SCRIPT}
update_option( 'close_comments_for_old_posts', 1 );
update_option( 'close_comments_days_old', 14 );
// What turning the closing on left to send goes first, before the posts
// are made: the runs below are the closing sweep's alone.
$runs();
$then = time() - 20 * DAY_IN_SECONDS;
$made = array();
foreach ( array( 0 => 130, 1 => 40 ) as $later => $count ) {
	for ( $i = 0; $i < $count; $i++ ) {
		$made[] = wp_insert_post( array( 'post_title' => "closing $later $i", 'post_status' => 'publish', 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $then + $later ), 'post_date' => gmdate( 'Y-m-d H:i:s', $then + $later ) ) );
	}
}
update_option( 'khabar_closed_through', $then + 14 * DAY_IN_SECONDS - 60 );
$runs = array();
foreach ( array( 1, 2 ) as $run ) {
	do_action( 'khabar_close_due' );
	$waiting = array_keys( (array) get_option( 'khabar_push_retry', array() ) );
	$runs[]  = array(
		'waiting' => count( array_intersect( $made, $waiting ) ),
		'through' => (int) get_option( 'khabar_closed_through' ),
		'at'      => time(),
	);
}
$next = wp_next_scheduled( 'khabar_close_due' );
update_option( 'khabar_push_retry', array_diff_key( (array) get_option( 'khabar_push_retry', array() ), array_flip( $made ) ), false );
foreach ( $made as $id ) {
	wp_delete_post( $id, true );
}
update_option( 'close_comments_for_old_posts', 0 );
echo wp_json_encode( array( 'runs' => $runs, 'next' => $next, 'closed' => $then + 14 * DAY_IN_SECONDS ) );
`);
  try {
    const { runs, next, closed } = JSON.parse(await wp.cli(script));
    assert.equal(runs[0].waiting, 130, 'the first run: a full batch and the rest of its second');
    assert.equal(runs[0].through, closed, 'sent up to that second');
    assert.equal(runs[1].waiting, 170, 'the second run: the next second\'s posts too');
    assert.ok(Math.abs(runs[1].through - runs[1].at) <= 2, 'then up to the run');
    assert.ok(next === false || next > runs[1].at, `the next closing is after the run: ${next}`);
  } finally {
    unlinkSync(script);
  }
});

test('a run of the closing event that cannot read the posts marks none sent and tries again minutes later', { skip }, async () => {
  // The posts' query fails (the database went away: here a filter sends
  // it to a table that is not there) during one run.
  const script = join(wp.contentDir, 'khabar-test-closing-fails.php');
  writeFileSync(script, `${CLOSING_SCRIPT}
update_option( 'close_comments_for_old_posts', 1 );
update_option( 'close_comments_days_old', 14 );
$runs();
$then = time() - 20 * DAY_IN_SECONDS;
$id   = wp_insert_post( array( 'post_title' => 'closing while the database fails', 'post_status' => 'publish', 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $then ), 'post_date' => gmdate( 'Y-m-d H:i:s', $then ) ) );
update_option( 'khabar_closed_through', $then + 14 * DAY_IN_SECONDS - 60 );
$waits  = function () use ( $id ) {
	return array_key_exists( $id, (array) get_option( 'khabar_push_retry', array() ) );
};
$broken = function ( $query ) {
	return false !== strpos( $query, 'ORDER BY post_date_gmt, ID' ) ? 'SELECT ID FROM khabar_no_such_table' : $query;
};
add_filter( 'query', $broken );
$wpdb->suppress_errors( true );
do_action( 'khabar_close_due' );
$failed = array(
	'through' => (int) get_option( 'khabar_closed_through' ) - ( $then + 14 * DAY_IN_SECONDS - 60 ),
	'waits'   => $waits(),
	'next_in' => wp_next_scheduled( 'khabar_close_due' ) - time(),
);
remove_filter( 'query', $broken );
do_action( 'khabar_close_due' );
$mended = $waits();
update_option( 'khabar_push_retry', array_diff_key( (array) get_option( 'khabar_push_retry', array() ), array( $id => true ) ), false );
wp_delete_post( $id, true );
update_option( 'close_comments_for_old_posts', 0 );
echo wp_json_encode( array( 'failed' => $failed, 'mended' => $mended ) );
`);
  try {
    const { failed, mended } = JSON.parse(await wp.cli(script));
    assert.equal(failed.through, 0, 'nothing marked sent');
    assert.equal(failed.waits, false);
    assert.ok(failed.next_in > 0 && failed.next_in <= 300, `tried again in minutes: ${failed.next_in} s`);
    assert.equal(mended, true, 'the next run sends the post that closed');
  } finally {
    unlinkSync(script);
  }
});

test('a change of the age for comments sends at once the posts it closes or opens again: shortened, lengthened, turned off and on again', { skip }, async () => {
  // Posts of 10, 20 and 40 days, made with the push unhooked (Khabar
  // never sees them); after each change, which of them wait to be sent:
  // none by the request that changed the setting, then those the
  // closing event's runs hand to the push.
  const script = join(wp.contentDir, 'khabar-test-age.php');
  writeFileSync(script, `${CLOSING_SCRIPT}
update_option( 'close_comments_days_old', 30 );
update_option( 'close_comments_for_old_posts', 1 );
$runs();
$made = array();
foreach ( array( 10, 20, 40 ) as $days ) {
	$at            = gmdate( 'Y-m-d H:i:s', time() - $days * DAY_IN_SECONDS );
	$made[ $days ] = wp_insert_post( array( 'post_title' => "age $days", 'post_status' => 'publish', 'post_date_gmt' => $at, 'post_date' => $at ) );
}
$sent    = function () use ( $made ) {
	$waiting = (array) get_option( 'khabar_push_retry', array() );
	update_option( 'khabar_push_retry', array_diff_key( $waiting, array_flip( $made ) ), false );
	return array_keys( array_filter( $made, function ( $id ) use ( $waiting ) {
		return isset( $waiting[ $id ] );
	} ) );
};
$steps   = array( array( $sent() ) );
$changes = array(
	array( 'close_comments_days_old', 7 ),
	array( 'close_comments_days_old', 15 ),
	array( 'close_comments_for_old_posts', 0 ),
	array( 'close_comments_for_old_posts', 1 ),
);
foreach ( $changes as $change ) {
	update_option( $change[0], $change[1] );
	$now = $sent();
	$runs();
	$steps[] = array( $now, $sent() );
}
// What a save of the settings without a change of the age runs.
Khabar_Closing::plan();
$now = $sent();
$runs();
$steps[] = array( $now, $sent() );
// A change the settings' hooks did not see (the plugin inactive): the
// next request's start follows it, and the event is due at once.
remove_action( 'update_option_close_comments_days_old', array( 'Khabar_Closing', 'plan' ) );
update_option( 'close_comments_days_old', 30 );
add_action( 'update_option_close_comments_days_old', array( 'Khabar_Closing', 'plan' ) );
Khabar_Closing::start();
$due = wp_next_scheduled( 'khabar_close_due' );
$now = $sent();
$runs();
$steps[] = array( $now, $sent(), false !== $due && $due <= time() );

// A change that concerns more than a batch: a run hands the push 100
// posts and the rest of the last one's second, the next run the others,
// in the order of their GMT dates. The local dates disagree, as after a
// change of the site's time zone: in their order, a batch would end past
// the first 20 posts' GMT second and never send them.
update_option( 'close_comments_days_old', 30 );
$runs();
$then = time() - 20 * DAY_IN_SECONDS;
$many = array();
foreach ( array( array( 20, 0, 3600 ), array( 90, 10, -3600 ), array( 10, 20, 20 ) ) as list( $count, $gmt, $local ) ) {
	for ( $i = 0; $i < $count; $i++ ) {
		$many[] = wp_insert_post(
			array(
				'post_title'    => "age batch $gmt $i",
				'post_status'   => 'publish',
				'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $then + $gmt ),
				'post_date'     => gmdate( 'Y-m-d H:i:s', $then + $local ),
			)
		);
	}
}
update_option( 'close_comments_days_old', 7 );
$batches = array();
for ( $i = 0; $i < 3; $i++ ) {
	do_action( 'khabar_close_due' );
	$batches[] = count( array_intersect_key( (array) get_option( 'khabar_push_retry', array() ), array_flip( $many ) ) );
}
update_option( 'khabar_push_retry', array_diff_key( (array) get_option( 'khabar_push_retry', array() ), array_flip( $many ) ), false );
foreach ( array_merge( $made, $many ) as $id ) {
	wp_delete_post( $id, true );
}
update_option( 'close_comments_for_old_posts', 0 );
$runs();
$sent();
echo wp_json_encode( array( 'steps' => $steps, 'batches' => $batches ) );
`);
  try {
    const { steps, batches } = JSON.parse(await wp.cli(script));
    assert.deepEqual(batches, [110, 120, 120], 'a batch and the rest of its second a run, in GMT order');
    assert.deepEqual(steps, [
      [[]], // made under 30 days: nothing to send
      [[], [10, 20]], // 30 → 7 days: both close
      [[], [10]], // 7 → 15: the 10-day post opens again
      [[], [20, 40]], // turned off: both open again
      [[], [20, 40]], // turned on (15 days): both close
      [[], []], // planned again, the age unchanged
      [[], [20], true], // 15 → 30 days, unseen by the hooks: the 20-day post opens again
    ]);
  } finally {
    unlinkSync(script);
  }
});

test('the summary is the excerpt WordPress makes (its length, no photo caption), and the post\'s own [khabar] shortcode stays out of the article', { skip }, async () => {
  const short = join(wp.contentDir, 'mu-plugins', 'khabar-test-excerpt.php');
  writeFileSync(short, "<?php\nadd_filter( 'excerpt_length', function () { return 5; } );\n");
  try {
    const image = await media('صورة الخبر', 'تعليق تحت الصورة');
    const created = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST',
      json: {
        title: 'خبر يبدأ بصورة',
        content: `<!-- wp:image {"id":${image.id}} --><figure class="wp-block-image"><img src="${image.source_url}" alt="صورة الخبر"/><figcaption>تعليق تحت الصورة</figcaption></figure><!-- /wp:image -->`
          + '<!-- wp:paragraph --><p>واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية.</p><!-- /wp:paragraph -->'
          + '<!-- wp:shortcode -->[khabar kind="latest" limit="3"]<!-- /wp:shortcode -->',
        status: 'publish',
      },
    }));
    const article = await stored(articleId(created.id), (status) => status === 200);
    assert.equal(article.summary, 'واحد اثنان ثلاثة أربعة خمسة […]');
    assert.match(created.excerpt.rendered, /واحد اثنان ثلاثة أربعة خمسة \[&hellip;\]/, 'what the REST API, and so the sync, says');
    assert.doesNotMatch(article.body_html, /data-khabar/, 'the shortcode left no placeholder in the article');
    assert.match(article.body_html, /ثمانية/);
  } finally {
    unlinkSync(short);
  }
});

test('a long Arabic post (a report of some 900 KB) goes whole: its letters are sent as UTF-8, not six-byte escapes that took it past the publishing API\'s 2 MiB', { skip }, async () => {
  const words = 130_000;
  const created = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST',
    json: {
      title: 'تقرير طويل',
      content: `<!-- wp:paragraph --><p>${'خبر '.repeat(words)}النهاية</p><!-- /wp:paragraph -->`,
      status: 'publish',
    },
  }));
  const article = await stored(articleId(created.id), (status) => status === 200);
  assert.equal(article.body_html.match(/خبر/g).length, words);
  assert.match(article.body_html, /النهاية/);
});

test('a site in a subdirectory (one of a multisite network) gives its articles ids of their own, the ids the sync gives; one whose posts Khabar already has under the host\'s ids keeps them; the push asks first, a page never waits', { skip }, async () => {
  // The site's address is changed for the script alone (`pre_option_home`),
  // as a site of a network in subdirectories has it; the vectors are the
  // sync's (`server/src/sync/wordpress.rs`, `ids_carry_the_sites_path`).
  // The post is published at the root first: Khabar holds it under the
  // host's id with a root URL, as the host's root site's post of the same
  // number would be.
  const vectors = join(ROOT, 'server', 'tests', 'fixtures', 'sync', 'wordpress-ids.json');
  const post = (await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'subdirectory ids', content: '<p>نص.</p>', status: 'publish' },
  }))).id;
  await stored(articleId(post), (status) => status === 200);
  const host = articleId('').replace(/-$/, '');
  const script = join(wp.contentDir, 'khabar-test-ids.php');
  writeFileSync(script, `<?php
list( , $server, $token, $vectors, $post ) = $argv;
$post   = (int) $post;
$real   = home_url();
$home   = null;
$khabar = rtrim( $server, '/' );
add_filter( 'pre_option_home', function ( $value ) use ( &$home ) { return null === $home ? $value : $home; } );
add_filter( 'pre_option_khabar_server_url', function () use ( &$khabar ) { return $khabar; } );
add_filter( 'pre_option_khabar_publish_token', function () use ( $token ) { return $token; } );
// Khabar's articles as the probe sees them: $answer (a WP_Error, or a
// response) for every GET of one, when set.
$answer = null;
add_filter( 'pre_http_request', function ( $pre, $args, $url ) use ( &$answer ) {
	return null !== $answer && 'GET' === $args['method'] && false !== strpos( $url, '/api/v1/articles/' ) ? $answer : $pre;
}, 10, 3 );
$fresh = function () {
	delete_option( 'khabar_id_prefix' );
	delete_transient( 'khabar_choose_ids_wait' );
	wp_clear_scheduled_hook( 'khabar_choose_ids' );
};
$admin = function ( $method, $id, $url = null ) use ( $server, $token ) {
	$args = array( 'method' => $method, 'headers' => array( 'Authorization' => 'Bearer ' . $token, 'Content-Type' => 'application/json' ) );
	if ( $url ) {
		$args['body'] = wp_json_encode( array( 'id' => $id, 'url' => $url, 'title' => 'held before', 'body_html' => '<p>x</p>', 'published_at' => gmdate( 'c' ), 'lang' => 'ar' ) );
	}
	return wp_remote_retrieve_response_code( wp_remote_request( $server . 'api/v1/admin/articles/' . $id, $args ) );
};
$had = array(
	'status'  => get_option( 'khabar_push_status' ),
	'waiting' => get_option( 'khabar_push_retry', array() ),
	'retry'   => wp_next_scheduled( 'khabar_retry_push' ),
);
$out = array( 'cases' => array() );
foreach ( json_decode( file_get_contents( $vectors ), true ) as $case ) {
	$home = $case['home'];
	$fresh();
	$chosen         = Khabar_Ids::choose();
	$out['cases'][] = array( 'home' => $home, 'chosen' => $chosen, 'id' => Khabar_Article::id( 42 ) );
}

$home = $real . '/ar';
$host = Khabar_Ids::host_key( $real );
$own  = $host . '-ar';
// An earlier version's last push, under the host's ids: they are kept at
// first sight, Khabar unasked. Otherwise (a failure of this version's
// first push says nothing of them) a page gets the site's own, and the
// asking is planned.
$fresh();
$status = function ( $message ) { update_option( 'khabar_push_status', array( 'time' => time(), 'ok' => false, 'message' => $message ), false ); };
$status( "PUT $host-7: HTTP 503 busy" );
$out['page_pushed_before'] = Khabar_Article::id( $post );
$out['kept_pushed_before'] = get_option( 'khabar_id_prefix' );
$status( "post 7: could not ask Khabar which ids this site's articles have" );
$out['page_after_failure'] = Khabar_Article::id( $post );
$fresh();
$out['page_failed_first'] = Khabar_Article::id( $post );
delete_option( 'khabar_push_status' );
$out['page_new_site'] = Khabar_Article::id( $post );
$out['planned'] = (bool) wp_next_scheduled( 'khabar_choose_ids' );
do_action( 'khabar_choose_ids' );
$out['root_article_not_ours'] = Khabar_Article::id( $post );

// Pushed by an earlier version: under the host's id, this site's address
// (the host's case and port as WordPress may write them).
$out['put_here'] = $admin( 'PUT', "$host-$post", str_replace( 'http://127.0.0.1', 'HTTP://127.0.0.1', $real ) . "/ar/subdirectory-ids/" );
$fresh();
$out['chosen_held'] = Khabar_Ids::choose();
$out['held'] = Khabar_Article::id( $post );
// A site that knows better says so.
add_filter( 'khabar_id_prefix', $forced = function () use ( $own ) { return $own; } );
$out['forced'] = Khabar_Article::id( $post );
remove_filter( 'khabar_id_prefix', $forced );
// Both forms held: the site's own won.
$out['put_own'] = $admin( 'PUT', "$own-$post", $real . '/ar/subdirectory-ids/' );
$fresh();
Khabar_Ids::choose();
$out['both'] = Khabar_Article::id( $post );
// The ids hold whatever a page's language plugin makes of home_url().
add_filter( 'home_url', $by_language = function ( $url ) { return str_replace( '/ar', '/ar/en', $url ); } );
$out['both_in_english'] = Khabar_Article::id( $post );
remove_filter( 'home_url', $by_language );
$admin( 'DELETE', "$own-$post" );

// Khabar unreachable, or a 404 or a 200 that is not Khabar's word (a
// wrong address's): nothing is chosen, and no new asking is planned for a
// while.
$response = function ( $code, $body ) { return array( 'headers' => array(), 'body' => $body, 'response' => array( 'code' => $code, 'message' => '' ), 'cookies' => array(), 'filename' => null ); };
foreach ( array( 'unreachable' => new WP_Error( 'http_request_failed', 'cURL error 7: refused' ), 'not_khabar' => $response( 404, '<h1>Not Found</h1>' ), 'not_an_article' => $response( 200, '{}' ) ) as $what => $failure ) {
	$answer = $failure;
	$fresh();
	$out[ $what ] = array( Khabar_Ids::choose(), Khabar_Article::id( $post ), (bool) wp_next_scheduled( 'khabar_choose_ids' ), get_option( 'khabar_id_prefix' ) );
}

// The push asks before it sends: while it cannot, the post waits (and is
// not sent under the host's id, hidden here first); then it goes under
// the site's own.
$admin( 'DELETE', "$host-$post" );
update_option( 'khabar_push_retry', array(), false );
$waiting = function () use ( $post ) { return array_key_exists( $post, (array) get_option( 'khabar_push_retry', array() ) ); };
$answer  = new WP_Error( 'http_request_failed', 'cURL error 28: timed out' );
$fresh();
Khabar_Push::send_soon( array( $post ) );
Khabar_Push::retry();
$out['waiting_unasked'] = $waiting();
$answer = null;
$fresh();
Khabar_Push::retry();
$out['waiting_after'] = $waiting();
$out['pushed_as'] = get_option( 'khabar_id_prefix' );

// What the other tests had stays as it was.
$fresh();
update_option( 'khabar_push_retry', $had['waiting'], false );
update_option( 'khabar_push_status', $had['status'], false );
wp_clear_scheduled_hook( 'khabar_retry_push' );
if ( $had['retry'] ) {
	wp_schedule_single_event( $had['retry'], 'khabar_retry_push' );
}
echo wp_json_encode( $out );
`);
  try {
    const out = JSON.parse(await wp.cli(script, [server.url, TOKEN, vectors, post]));
    const want = JSON.parse(readFileSync(vectors, 'utf8'));
    assert.deepEqual(out.cases, want.map((c) => ({ home: c.home, chosen: true, id: c.id })));
    assert.deepEqual([out.page_pushed_before, out.kept_pushed_before, out.page_after_failure], [`${host}-${post}`, host, `${host}-${post}`], 'an earlier version\'s site keeps the host\'s ids, also once a later push failed');
    assert.equal(out.page_failed_first, `${host}-ar-${post}`, 'a new site whose first push failed still gets its own');
    assert.equal(out.page_new_site, `${host}-ar-${post}`, 'a new site never shows the root site\'s article');
    assert.equal(out.planned, true, 'the asking is planned for WP-Cron');
    assert.equal(out.root_article_not_ours, `${host}-ar-${post}`, 'the root site\'s article is not this site\'s: its own ids');
    assert.deepEqual([out.put_here, out.chosen_held, out.held], [200, true, `${host}-${post}`], 'Khabar has this site\'s post under the host\'s id: kept');
    assert.equal(out.forced, `${host}-ar-${post}`, 'the khabar_id_prefix filter');
    assert.deepEqual([out.put_own, out.both, out.both_in_english], [201, `${host}-ar-${post}`, `${host}-ar-${post}`]);
    for (const what of ['unreachable', 'not_khabar', 'not_an_article']) {
      assert.deepEqual(out[what], [false, `${host}-ar-${post}`, false, false], what);
    }
    assert.deepEqual([out.waiting_unasked, out.waiting_after, out.pushed_as], [true, false, `${host}-ar`]);
    const pushed = await stored(`${host}-ar-${post}`, (status) => status === 200);
    assert.equal(pushed.title, 'subdirectory ids');
    assert.ok(pushed.url.startsWith(`${wp.url}/ar/`), pushed.url);
    assert.equal((await fetch(`${server.url}api/v1/articles/${host}-${post}`)).status, 404, 'never sent under the host\'s id');
  } finally {
    unlinkSync(script);
    await expect(200, wp.api(`/wp/v2/posts/${post}`, { method: 'DELETE', query: { force: 'true' } }));
    await fetch(`${server.url}api/v1/admin/articles/${host}-ar-${post}`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
  }
});

test('a post taken down while pushing was paused (the token emptied) is hidden in Khabar once a token is back', { skip }, async () => {
  const post = await expect(201, wp.api('/wp/v2/posts', {
    method: 'POST', json: { title: 'خبر يُسحب أثناء التوقف', content: '<p>نص.</p>', status: 'publish' },
  }));
  await stored(articleId(post.id), (status) => status === 200);
  (await saveSettings({ token: '' })).close();
  await expect(200, wp.api(`/wp/v2/posts/${post.id}`, { method: 'DELETE' }));
  assert.equal((await fetch(`${server.url}api/v1/articles/${articleId(post.id)}`)).status, 200, 'nothing was sent meanwhile');
  (await saveSettings({ token: TOKEN })).close();
  let left = null;
  for (let run = 0; run < 4 && (left === null || Object.keys(left).length > 0); run++) {
    left = await expect(200, wp.api('/khabar-test/v1/retry', { method: 'POST' }));
  }
  assert.deepEqual(left, {});
  await stored(articleId(post.id), (status) => status === 404);
});

test('a site in several languages names each post\'s language (khabar_post_lang): the article goes in it and the widgets under the post speak it, a footer\'s widget the page\'s language; a value that is no language tag is ignored', { skip }, async () => {
  // What a multilingual plugin's answer would be, by the post's title
  // here: a WordPress locale, as Polylang's and WPML's are.
  const filter = join(wp.contentDir, 'mu-plugins', 'khabar-test-lang.php');
  writeFileSync(filter, `<?php
add_filter( 'khabar_post_lang', function ( $lang, $post ) {
	if ( $post && str_starts_with( $post->post_title, 'Harbour' ) ) {
		return 'en_GB';
	}
	return $post && str_starts_with( $post->post_title, 'Broken' ) ? 'english, please' : $lang;
}, 10, 2 );
`);
  // The theme's footer with a list of the latest stories in it, as a site
  // might put one there: outside any post, on every page.
  const footer = join(wp.contentDir, 'khabar-test-footer.php');
  writeFileSync(footer, `<?php
foreach ( get_posts( array( 'post_type' => 'wp_template_part', 'name' => 'footer', 'post_status' => 'any', 'numberposts' => -1 ) ) as $part ) {
	wp_delete_post( $part->ID, true );
}
if ( 'put' === $argv[1] ) {
	$id = wp_insert_post( array(
		'post_type'    => 'wp_template_part',
		'post_name'    => 'footer',
		'post_title'   => 'Footer',
		'post_status'  => 'publish',
		'post_content' => '<!-- wp:shortcode -->[khabar kind="latest" limit="3"]<!-- /wp:shortcode -->',
	), true );
	wp_set_object_terms( $id, get_stylesheet(), 'wp_theme' );
	wp_set_object_terms( $id, 'footer', 'wp_template_part_area' );
}
`);
  try {
    await wp.cli(footer, ['put']);
    const broken = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'Broken language answer', content: '<p>Text.</p>', status: 'publish' },
    }));
    assert.equal((await stored(articleId(broken.id), (status) => status === 200)).lang, 'ar');
    // The newest post: the one WordPress's current post is on the front page.
    const english = await expect(201, wp.api('/wp/v2/posts', {
      method: 'POST', json: { title: 'Harbour bridge reopens to cyclists', content: '<p>The harbour bridge reopened this morning.</p>', status: 'publish' },
    }));
    assert.equal((await stored(articleId(english.id), (status) => status === 200)).lang, 'en-GB');

    const { page, problems } = await openPage(browser);
    await page.goto(english.link);
    await widgetsSettled(page);
    const comments = page.locator('[data-khabar="comments"]');
    assert.equal(await comments.getAttribute('data-khabar-lang'), 'en');
    assert.equal((await comments.locator('h2.comments-title').textContent()).trim().split(' (')[0], 'Comments');
    // The footer's list on the English post's page speaks English…
    const list = page.locator('[data-khabar="latest"]');
    assert.equal(await list.getAttribute('data-khabar-lang'), 'en');
    // …and on the front page, which lists posts of both languages, the
    // site's (here Arabic), not the language of the newest post.
    await page.goto(wp.url + '/');
    await widgetsSettled(page);
    assert.equal(await list.getAttribute('data-khabar-lang'), 'ar');
    assert.equal(await list.locator('section.latest').getAttribute('aria-label'), 'آخر الأخبار');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    unlinkSync(filter);
    await wp.cli(footer, ['take-off']).finally(() => unlinkSync(footer));
  }
});
