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

	/** How many of the newest posts, and of the oldest, are looked for. */
	const PROBES = 5;

	/**
	 * Hooks the event in.
	 */
	public static function register() {
		add_action( self::EVENT, array( __CLASS__, 'choose' ) );
	}

	/**
	 * The prefix of this site's article ids. Until it is chosen (a site in
	 * a subdirectory, the first time), the asking of Khabar is planned for
	 * WP-Cron (a page never waits for it) and the page gets the site's own
	 * ids: never, for a new site, those of the host's root site.
	 *
	 * @return string
	 */
	public static function prefix() {
		list( $host, $own ) = self::candidates();
		$chosen             = self::chosen( $host, $own );
		if ( null !== $chosen ) {
			return $chosen;
		}
		if ( '' !== Khabar_Settings::server_url() && ! get_transient( self::WAIT ) && ! wp_next_scheduled( self::EVENT ) ) {
			wp_schedule_single_event( time(), self::EVENT );
		}
		return $own;
	}

	/**
	 * Keeps `{host}` as the choice when this plugin's last push went under
	 * `{host}-{post id}`: only an earlier version, which knew no other ids,
	 * pushes a site in a subdirectory so. Taken at first sight, before a
	 * push of this version replaces that status.
	 *
	 * @param string $host `{host}`.
	 * @return bool Whether it did.
	 */
	private static function pushed_before( $host ) {
		$last = get_option( 'khabar_push_status' );
		$sent = is_array( $last ) && isset( $last['message'] ) ? (string) $last['message'] : '';
		if ( ! preg_match( '/^(PUT|DELETE) ' . preg_quote( $host, '/' ) . '-\d+:/', $sent ) ) {
			return false;
		}
		self::keep( $host );
		return true;
	}

	/**
	 * Whether the prefix is chosen (always, for a site at its host's root).
	 *
	 * @return bool
	 */
	public static function is_chosen() {
		list( $host, $own ) = self::candidates();
		return null !== self::chosen( $host, $own );
	}

	/**
	 * Chooses the prefix unless it is chosen. Khabar is asked for the
	 * newest and the oldest posts (`GET /api/v1/articles/{id}`) under the
	 * site's own form, then under `{host}`: the first article found whose
	 * URL is under the site's address decides (an article of the host's
	 * root site under `{host}-{post id}` is not this site's); none found,
	 * the site's own.
	 * The push calls it before it sends.
	 *
	 * @return bool Whether the prefix is chosen; false when Khabar could not
	 *              be asked (not set up, unreachable, an answer that is not
	 *              Khabar's): try later.
	 */
	public static function choose() {
		list( $host, $own ) = self::candidates();
		if ( null !== self::chosen( $host, $own ) ) {
			return true;
		}
		$server = Khabar_Settings::server_url();
		if ( '' === $server ) {
			return false;
		}
		$posts = array();
		foreach ( array( 'DESC', 'ASC' ) as $order ) {
			$posts = array_merge(
				$posts,
				get_posts(
					array(
						'post_type'        => Khabar_Article::post_types(),
						'post_status'      => 'publish',
						'numberposts'      => self::PROBES,
						'orderby'          => 'date',
						'order'            => $order,
						'fields'           => 'ids',
						'suppress_filters' => true,
					)
				)
			);
		}
		$posts = array_unique( array_map( 'intval', $posts ) );
		// The site's own form first, as the sync prefers it.
		foreach ( array( $own, $host ) as $prefix ) {
			foreach ( $posts as $post_id ) {
				$held = self::held( $server, $prefix . '-' . $post_id );
				if ( null === $held ) {
					set_transient( self::WAIT, 1, 5 * MINUTE_IN_SECONDS );
					return false;
				}
				if ( $held ) {
					self::keep( $prefix );
					return true;
				}
			}
		}
		self::keep( $own );
		return true;
	}

	/**
	 * Keeps `$prefix` as the choice.
	 *
	 * @param string $prefix `{host}` or `{host}-{path}`.
	 */
	private static function keep( $prefix ) {
		// Read on every page that shows a widget: loaded with the options.
		update_option( self::OPTION, $prefix, true );
		delete_transient( self::WAIT );
	}

	/**
	 * The chosen prefix, when there is one: the option (or the
	 * `khabar_id_prefix` filter, for a site that knows better), if it is
	 * one of the two. A site at its host's root has only one.
	 *
	 * @param string $host `{host}`.
	 * @param string $own  `{host}-{path}`.
	 * @return string|null
	 */
	private static function chosen( $host, $own ) {
		if ( $host === $own ) {
			return $host;
		}

		$stored = (string) get_option( self::OPTION, '' );
		if ( '' === $stored && self::pushed_before( $host ) ) {
			$stored = $host;
		}
		/**
		 * Filters the prefix of this site's article ids (`{host}` or
		 * `{host}-{path}`; any other value is ignored).
		 *
		 * @param string $chosen What Khabar's answer chose, or ''.
		 * @param string $host   `{host}`.
		 * @param string $own    `{host}-{path}`.
		 */
		$chosen = apply_filters( 'khabar_id_prefix', $stored, $host, $own );
		return $chosen === $host || $chosen === $own ? $chosen : null;
	}

	/**
	 * Whether Khabar holds article `$id` as this site's (its URL under the
	 * site's address); null when the answer is not Khabar's word (an
	 * error, a 404 that is not its `not_found` or a 200 that is not that
	 * article, such as a wrong address's).
	 *
	 * @param string $server Khabar's address.
	 * @param string $id     The article id.
	 * @return bool|null
	 */
	private static function held( $server, $id ) {
		$response = wp_remote_get( $server . '/api/v1/articles/' . rawurlencode( $id ), array( 'timeout' => 5 ) );
		$code     = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		$answer   = is_wp_error( $response ) ? null : json_decode( (string) wp_remote_retrieve_body( $response ), true );
		if ( 404 === $code && isset( $answer['error']['code'] ) && 'not_found' === $answer['error']['code'] ) {
			return false;
		}
		if ( 200 === $code && isset( $answer['id'] ) && $id === $answer['id'] ) {
			return isset( $answer['url'] ) && is_string( $answer['url'] ) && self::is_under( $answer['url'], self::home() );
		}
		$why = is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $code;
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site's log is where operators look.
		error_log( 'Khabar: could not ask which ids this site\'s articles have (GET ' . $id . '): ' . $why );
		return null;
	}

	/**
	 * Whether `$url` is a page of the site at `$home`: the same host and
	 * port (the scheme may differ), its path under the address's,
	 * percent-decoded and ASCII case aside. As the sync's `is_under`.
	 *
	 * @param string $url  A page's URL.
	 * @param string $home The site's address.
	 * @return bool
	 */
	private static function is_under( $url, $home ) {
		$scheme = self::lower( (string) wp_parse_url( $url, PHP_URL_SCHEME ) );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || self::host_key( $url ) !== self::host_key( $home ) ) {
			return false;
		}
		$path = function ( $address ) {
			return self::lower( rawurldecode( (string) wp_parse_url( $address, PHP_URL_PATH ) ) );
		};
		return 0 === strpos( $path( $url ), rtrim( $path( $home ), '/' ) . '/' );
	}

	/**
	 * The site's address as its settings hold it: `home_url()` may be
	 * filtered by the page (a language plugin's directory or domain), and
	 * ids must not change with it.
	 *
	 * @return string
	 */
	private static function home() {
		return (string) get_option( 'home' );
	}

	/**
	 * `{host}` and this site's own prefix (`{host}-{path}`, or `{host}`
	 * again at the root).
	 *
	 * @return string[]
	 */
	private static function candidates() {
		$home = self::home();
		$host = self::host_key( $home );
		$path = self::path_key( (string) wp_parse_url( $home, PHP_URL_PATH ) );
		return array( $host, '' === $path ? $host : $host . '-' . $path );
	}

	/**
	 * The host of an address in ids, as the sync makes it: in lower case,
	 * an internationalized one in its ASCII form (`xn--…`), characters
	 * other than letters, digits, `.`, `-` and `_` as `-`, and `-{port}`
	 * when the address names one its scheme does not imply.
	 *
	 * @param string $address The site's address.
	 * @return string
	 */
	public static function host_key( $address ) {
		$host   = self::ascii_host( self::lower( (string) wp_parse_url( $address, PHP_URL_HOST ) ) );
		$port   = wp_parse_url( $address, PHP_URL_PORT );
		$scheme = self::lower( (string) wp_parse_url( $address, PHP_URL_SCHEME ) );
		$key    = substr( (string) preg_replace( '/[^A-Za-z0-9._-]/', '-', '' !== $host ? $host : 'source' ), 0, 80 );
		$usual  = ( 'http' === $scheme && 80 === $port ) || ( 'https' === $scheme && 443 === $port );
		if ( $port && ! $usual ) {
			$key .= '-' . $port;
		}
		return $key;
	}

	/**
	 * An internationalized host name in its ASCII form (`موقع.مصر` →
	 * `xn--4gbrim.xn--wgbh1c`), through PHP's intl or the encoder that
	 * comes with WordPress; unchanged when neither can.
	 *
	 * @param string $host A host name.
	 * @return string
	 */
	private static function ascii_host( $host ) {
		if ( ! preg_match( '/[^\x00-\x7F]/', $host ) ) {
			return $host;
		}
		if ( function_exists( 'idn_to_ascii' ) && defined( 'INTL_IDNA_VARIANT_UTS46' ) ) {
			$ascii = idn_to_ascii( $host, IDNA_NONTRANSITIONAL_TO_ASCII, INTL_IDNA_VARIANT_UTS46 );
			if ( is_string( $ascii ) && '' !== $ascii ) {
				return $ascii;
			}
		}
		try {
			if ( class_exists( 'WpOrg\Requests\IdnaEncoder' ) ) {
				return strtolower( \WpOrg\Requests\IdnaEncoder::encode( $host ) );
			}
			if ( class_exists( 'Requests_IDNAEncoder' ) ) {
				return strtolower( Requests_IDNAEncoder::encode( $host ) );
			}
		} catch ( Throwable $e ) {
			return $host; // Not a host name either can encode.
		}
		return $host;
	}

	/**
	 * The path of the site's address in ids, as the sync makes it:
	 * percent-decoded, without its slashes at the ends, in lower case
	 * (ASCII); `/` as `-` when that is at most 24 of a–z, 0–9, `.`, `-`,
	 * `_` and `/`, else `p` and the first 12 hex digits of the SHA-256 of
	 * its bytes. Empty at the root.
	 *
	 * @param string $path The address's path.
	 * @return string
	 */
	public static function path_key( $path ) {
		$path = self::lower( trim( rawurldecode( $path ), '/' ) );
		if ( '' === $path ) {
			return '';
		}
		if ( strlen( $path ) <= 24 && preg_match( '#^[a-z0-9._/-]+\z#', $path ) ) {
			return str_replace( '/', '-', $path );
		}
		return 'p' . substr( hash( 'sha256', $path ), 0, 12 );
	}

	/**
	 * `$text` with A–Z in lower case, and no other byte changed (PHP's
	 * strtolower follows the locale before PHP 8.2).
	 *
	 * @param string $text Bytes.
	 * @return string
	 */
	private static function lower( $text ) {
		return strtr( $text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz' );
	}
}
