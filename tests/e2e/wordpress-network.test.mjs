// A multisite network in subdirectories (wordpress-site.mjs, `network`):
// its main site at the host's root and an Arabic site at /ar/, which number
// their posts alike. The plugin, network-activated, pushes each site's
// posts under that site's own ids, also when one request publishes on both;
// and khabar-server's sync of each site's REST API makes the same ids.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './helpers.mjs';
import { startWordpress, wordpressMissing } from './wordpress-site.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PLUGIN = join(ROOT, 'integrations', 'wordpress', 'khabar');
const TOKEN = 'wordpress-network-test-publish-token';
const skip = wordpressMissing();

let wp;
let pushed; // the Khabar the plugin pushes to
let synced; // the Khabar that syncs both sites' REST APIs
let host;
before(async () => {
  if (skip) return;
  wp = await startWordpress({ title: 'شبكة الأخبار', language: 'ar', plugins: [PLUGIN], network: true });
  pushed = await startServer({ args: ['--site', wp.url, '--publish-token', TOKEN] });
  synced = await startServer();
  host = `127.0.0.1-${new URL(wp.url).port}`;
  // The Arabic site, the plugin active on the whole network, and each
  // site set up to push to the same Khabar.
  await run(`<?php
require_once ABSPATH . 'wp-admin/includes/plugin.php';
list( , $server, $token, $address ) = $argv;
$ar = wpmu_create_blog( get_network()->domain, '/ar/', 'الموقع العربي', get_current_user_id() ?: 1 );
if ( is_wp_error( $ar ) ) {
	fwrite( STDERR, $ar->get_error_message() );
	exit( 1 );
}
// WordPress takes a port out of a new site's domain ('127.0.0.1:8080'
// becomes '127.0.0.18080'); a site on a port keeps the network's.
global $wpdb;
$wpdb->update( $wpdb->blogs, array( 'domain' => get_network()->domain ), array( 'blog_id' => $ar ) );
clean_blog_cache( $ar );
switch_to_blog( $ar );
update_option( 'home', $address . '/ar' );
update_option( 'siteurl', $address . '/ar' );
restore_current_blog();
$active = activate_plugin( 'khabar/khabar.php', '', true );
if ( is_wp_error( $active ) ) {
	fwrite( STDERR, $active->get_error_message() );
	exit( 1 );
}
foreach ( array( get_main_site_id(), $ar ) as $site ) {
	switch_to_blog( $site );
	update_option( 'khabar_server_url', $server );
	update_option( 'khabar_publish_token', $token, false );
	update_option( 'khabar_lang', 'ar' );
	restore_current_blog();
}
echo $ar;
`, [pushed.url, TOKEN, wp.url]);
});
after(async () => {
  await pushed?.stop();
  pushed?.cleanup();
  await synced?.stop();
  synced?.cleanup();
  await wp?.stop();
});

/** Runs a PHP script in the network's main site (wordpress-cli.php); its output. */
async function run(code, args = []) {
  const script = join(wp.contentDir, `khabar-test-network-${process.hrtime.bigint()}.php`);
  writeFileSync(script, code);
  try {
    return await wp.cli(script, args);
  } finally {
    unlinkSync(script);
  }
}

/** Khabar `server`'s answer for article `id`, once it is there. */
async function article(server, id) {
  let res;
  for (let i = 0; i < 60; i++) {
    res = await fetch(`${server.url}api/v1/articles/${encodeURIComponent(id)}`);
    if (res.ok) return res.json();
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`article ${id} answered ${res.status}`);
}

test('the sites of a network in subdirectories reach Khabar each under its own ids, also when one request publishes on both; the sync of their REST APIs makes the same ids', { skip }, async () => {
  // One request (a network's cross-posting plugin would do this) publishes
  // a post on the main site, then one of the same number on the Arabic
  // site.
  const ids = JSON.parse(await run(`<?php
$root = wp_insert_post( array( 'post_title' => 'خبر الموقع الرئيسي', 'post_content' => '<p>نص الموقع الرئيسي.</p>', 'post_status' => 'publish' ) );
$ar   = get_sites( array( 'path' => '/ar/', 'fields' => 'ids' ) )[0];
switch_to_blog( $ar );
// A new site has fewer posts of its own (no privacy page): drafts until
// its next number is the main site's post's, as it is for any two sites
// of a network sooner or later.
global $wpdb;
while ( (int) $wpdb->get_var( "SELECT MAX(ID) FROM $wpdb->posts" ) + 1 < $root ) {
	wp_insert_post( array( 'post_title' => 'مسودة', 'post_status' => 'draft' ) );
}
$post = wp_insert_post( array( 'post_title' => 'خبر الموقع العربي', 'post_content' => '<p>نص الموقع العربي.</p>', 'post_status' => 'publish' ) );
restore_current_blog();
echo wp_json_encode( array( 'root' => $root, 'ar' => $post ) );
`));
  assert.equal(ids.root, ids.ar, 'both sites number their first post alike');
  const root = await article(pushed, `${host}-${ids.root}`);
  const ar = await article(pushed, `${host}-ar-${ids.ar}`);
  assert.equal(root.title, 'خبر الموقع الرئيسي');
  assert.equal(ar.title, 'خبر الموقع العربي');
  assert.ok(ar.url.startsWith(`${wp.url}/ar/`), ar.url);
  assert.ok(!root.url.startsWith(`${wp.url}/ar/`), root.url);

  // The sync, into a Khabar of its own, of each site's REST API.
  for (const source of [`${wp.url}/?rest_route=/wp/v2/posts`, `${wp.url}/ar/?rest_route=/wp/v2/posts`]) {
    assert.match(synced.cli('sync', source), /new or updated/);
  }
  const rootSynced = await article(synced, `${host}-${ids.root}`);
  const arSynced = await article(synced, `${host}-ar-${ids.ar}`);
  assert.deepEqual([rootSynced.title, rootSynced.url], [root.title, root.url]);
  assert.deepEqual([arSynced.title, arSynced.url], [ar.title, ar.url]);
});

test("deleting the plugin from the network removes every site's options, its publishing token included, and the events each planned", { skip }, async () => {
  const left = await run(`<?php
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$sites = get_sites( array( 'fields' => 'ids', 'number' => 0 ) );
foreach ( $sites as $site ) {
	switch_to_blog( $site );
	wp_schedule_single_event( time() + 3600, 'khabar_retry_push' );
	restore_current_blog();
}
// What WordPress does when a network admin deletes it.
deactivate_plugins( 'khabar/khabar.php', true, true );
uninstall_plugin( 'khabar/khabar.php' );
$left = array();
foreach ( $sites as $site ) {
	switch_to_blog( $site );
	foreach ( array( 'khabar_publish_token', 'khabar_server_url', 'khabar_lang' ) as $option ) {
		if ( false !== get_option( $option ) ) {
			$left[] = $site . ':' . $option;
		}
	}
	if ( wp_next_scheduled( 'khabar_retry_push' ) ) {
		$left[] = $site . ':khabar_retry_push';
	}
	restore_current_blog();
}
echo count( $sites ) . ' sites; left: ' . implode( ',', $left );
`);
  assert.equal(left, '2 sites; left: ');
});
