<?php
/**
 * What a site's article ids start with (docs/integrations.md, "Article ids").
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * An article id is `{host}-{post id}` for a site at its host's root and
 * `{host}-{path}-{post id}` for one in a subdirectory, as khabar-server's
 * WordPress sync makes them, so that the sites of one host (a multisite
 * network in subdirectories) keep apart. A site in a subdirectory whose
 * posts Khabar already has under `{host}-{post id}` (pushed by an earlier
 * version of this plugin, or synced by an earlier server) keeps those ids
 * and their comments: which of the two a site has is asked of Khabar once
 * and kept.
 */
final class Khabar_Ids {

	/** The option that keeps the prefix once chosen. */
	const OPTION = 'khabar_id_prefix';

	/** The event that chooses it when a page needed an id first. */
	const EVENT = 'khabar_choose_ids';

	/** While set, Khabar could not be asked: no new event until it ends. */
	const WAIT = 'khabar_choose_ids_wait';

	/** How many of the newest posts are looked for in Khabar. */
	const PROBES = 5;

	/**
	 * Hooks the event in.
	 */
	public static function register() {
		add_action( self::EVENT, array( __CLASS__, 'choose' ) );
	}

	/**
	 * The prefix of this site's article ids. Until Khabar has been asked
	 * (a site in a subdirectory, the first time), `{host}`, what earlier
	 * versions gave, and the asking is planned for WP-Cron: a page never
	 * waits for it.
	 *
	 * @return string
	 */
	public static function prefix() {
		list( $host, $own ) = self::candidates();
		if ( $host === $own ) {
			return $host;
		}
		$chosen = get_option( self::OPTION, '' );
		if ( $chosen === $host || $chosen === $own ) {
			return $chosen;
		}
		if ( '' !== Khabar_Settings::server_url() && ! get_transient( self::WAIT ) && ! wp_next_scheduled( self::EVENT ) ) {
			wp_schedule_single_event( time(), self::EVENT );
		}
		return $host;
	}

	/**
	 * Chooses the prefix unless it is chosen: `{host}` when Khabar holds one
	 * of the newest posts under `{host}-{post id}` with a URL under the
	 * site's address (this site's article, not one of the host's root
	 * site), `{host}-{path}` otherwise. The push calls it before it sends.
	 *
	 * @return bool Whether the prefix is chosen; false when Khabar could not
	 *              be asked (not set up, unreachable, an error): try later.
	 */
	public static function choose() {
		list( $host, $own ) = self::candidates();
		$chosen = get_option( self::OPTION, '' );
		if ( $host === $own || $chosen === $host || $chosen === $own ) {
			return true;
		}
		$server = Khabar_Settings::server_url();
		if ( '' === $server ) {
			return false;
		}
		$address = trailingslashit( home_url() );
		$posts   = get_posts(
			array(
				'post_type'        => Khabar_Article::post_types(),
				'post_status'      => 'publish',
				'numberposts'      => self::PROBES,
				'orderby'          => 'date',
				'order'            => 'DESC',
				'fields'           => 'ids',
				'suppress_filters' => true,
			)
		);
		$held = false;
		foreach ( $posts as $post_id ) {
			$response = wp_remote_get( $server . '/api/v1/articles/' . rawurlencode( $host . '-' . (int) $post_id ), array( 'timeout' => 5 ) );
			$code     = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
			if ( 404 === $code ) {
				continue;
			}
			if ( 200 !== $code ) {
				$why = is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $code;
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site's log is where operators look.
				error_log( 'Khabar: could not ask which ids this site\'s articles have: ' . $why );
				set_transient( self::WAIT, 1, 5 * MINUTE_IN_SECONDS );
				return false;
			}
			$article = json_decode( (string) wp_remote_retrieve_body( $response ), true );
			$url     = is_array( $article ) && isset( $article['url'] ) && is_string( $article['url'] ) ? $article['url'] : '';
			if ( 0 === strpos( $url, $address ) ) {
				$held = true;
				break;
			}
		}
		// Read on every page that shows a widget: loaded with the options.
		update_option( self::OPTION, $held ? $host : $own, true );
		delete_transient( self::WAIT );
		return true;
	}

	/**
	 * `{host}` and this site's own prefix (`{host}-{path}`, or `{host}`
	 * again at the root).
	 *
	 * @return string[]
	 */
	private static function candidates() {
		$home = home_url();
		$host = self::host_key( $home );
		$path = self::path_key( (string) wp_parse_url( $home, PHP_URL_PATH ) );
		return array( $host, '' === $path ? $host : $host . '-' . $path );
	}

	/**
	 * The host of `$home` in ids: lower case, characters other than
	 * letters, digits, `.`, `-` and `_` as `-`, and `-{port}` when the
	 * address names one its scheme does not imply.
	 *
	 * @param string $home The site's address.
	 * @return string
	 */
	public static function host_key( $home ) {
		$host   = strtolower( (string) wp_parse_url( $home, PHP_URL_HOST ) );
		$port   = wp_parse_url( $home, PHP_URL_PORT );
		$scheme = wp_parse_url( $home, PHP_URL_SCHEME );
		$key    = substr( (string) preg_replace( '/[^A-Za-z0-9._-]/', '-', '' !== $host ? $host : 'source' ), 0, 80 );
		$usual  = ( 'http' === $scheme && 80 === $port ) || ( 'https' === $scheme && 443 === $port );
		if ( $port && ! $usual ) {
			$key .= '-' . $port;
		}
		return $key;
	}

	/**
	 * The path of the site's address in ids, as khabar-server's sync makes
	 * it: percent-decoded, without its slashes at the ends, in lower case
	 * (ASCII); `/` as `-` when that is at most 24 of a–z, 0–9, `.`, `-`,
	 * `_` and `/`, else `p` and the first 12 hex digits of its SHA-256.
	 * Empty at the root.
	 *
	 * @param string $path The address's path.
	 * @return string
	 */
	public static function path_key( $path ) {
		$path = strtr( trim( rawurldecode( $path ), '/' ), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz' );
		if ( '' === $path ) {
			return '';
		}
		if ( strlen( $path ) <= 24 && preg_match( '#^[a-z0-9._/-]+$#', $path ) ) {
			return str_replace( '/', '-', $path );
		}
		return 'p' . substr( hash( 'sha256', $path ), 0, 12 );
	}
}
