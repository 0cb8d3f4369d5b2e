<?php
// Runs a PHP file with the test WordPress site of wordpress-site.mjs loaded,
// from the command line, as WP-CLI would: `php wordpress-cli.php SCRIPT
// ARGS…`, the site named by KHABAR_WP_CONFIG (as for wordpress-router.php).
// SCRIPT finds ARGS in $argv[1…].

$_SERVER['WORDPRESS_CONFIG'] = getenv('KHABAR_WP_CONFIG');
// The site's host and port: a multisite network finds its site by them.
$_SERVER['HTTP_HOST'] = getenv('KHABAR_WP_HOST') ?: '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';
$script = $argv[1];
$argv = array_slice($argv, 1);
define('WP_USE_THEMES', false);
require '/usr/share/wordpress/wp-load.php';
require $script;
