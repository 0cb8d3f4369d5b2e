<?php
/**
 * Plugin Name:       Khabar
 * Description:       Khabar's comments and reader actions under your posts, and your posts pushed to your Khabar server as you publish, update and trash them.
 * Version:           0.1.0
 * Requires at least: 5.7
 * Requires PHP:      7.4
 * Author:            The Khabar authors
 * License:           MIT OR Apache-2.0
 * License URI:       https://opensource.org/licenses/MIT
 * Text Domain:       khabar
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * Both licences are GPL-compatible (MIT with GPLv2 and later, Apache-2.0
 * with GPLv3), as WordPress plugins must be.
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit; // Loaded by WordPress only.
}

define( 'KHABAR_PLUGIN_VERSION', '0.1.0' );

require_once __DIR__ . '/includes/class-khabar-settings.php';
require_once __DIR__ . '/includes/class-khabar-article.php';
require_once __DIR__ . '/includes/class-khabar-ids.php';
require_once __DIR__ . '/includes/class-khabar-embed.php';
require_once __DIR__ . '/includes/class-khabar-push.php';
require_once __DIR__ . '/includes/class-khabar-closing.php';

add_action(
	'init',
	function () {
		load_plugin_textdomain( 'khabar', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
	}
);

Khabar_Settings::register();
Khabar_Embed::register();
Khabar_Ids::register();
Khabar_Push::register();
Khabar_Closing::register();
