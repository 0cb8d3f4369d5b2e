<?php
/**
 * Removes the plugin's options when it is deleted from the Plugins screen:
 * on a network, those of every site, each of which has its own settings,
 * publishing token and waiting list.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-khabar-settings.php';

/**
 * Removes the current site's options and the events it planned.
 */
function khabar_uninstall_site() {
	foreach ( Khabar_Settings::OPTIONS as $khabar_option ) {
		delete_option( $khabar_option );
	}
	delete_transient( 'khabar_choose_ids_wait' );
	// The pushes it had planned (retries, comments closing by age), and the
	// asking of which ids the site's articles have.
	wp_unschedule_hook( 'khabar_retry_push' );
	wp_unschedule_hook( 'khabar_choose_ids' );
	wp_unschedule_hook( 'khabar_close_due' );
	wp_unschedule_hook( 'khabar_comments_closed' ); // One per post, by earlier builds.
}

if ( is_multisite() ) {
	foreach ( get_sites(
		array(
			'fields' => 'ids',
			'number' => 0,
		)
	) as $khabar_site ) {
		switch_to_blog( $khabar_site );
		khabar_uninstall_site();
		restore_current_blog();
	}
} else {
	khabar_uninstall_site();
}
