<?php
/**
 * The plugin's options and its page under Settings → Khabar.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The options (Settings API) and the settings page.
 */
final class Khabar_Settings {

	/** The settings group and the page's slug. */
	const PAGE = 'khabar';

	/** Every option the plugin stores (uninstall.php removes them). */
	const OPTIONS = array(
		'khabar_server_url',
		'khabar_publish_token',
		'khabar_lang',
		'khabar_placements',
		'khabar_push_status',
		'khabar_push_retry',
		'khabar_push_kept',
		'khabar_push_all',
		'khabar_closed_through',
		'khabar_closing_age',
		'khabar_closing_redo',
		'khabar_id_prefix',
		'khabar_push_refused',
	);

	/** The placements the page offers, by key. */
	const PLACEMENTS = array( 'comments', 'actions' );

	/**
	 * Hooks the options and the page in.
	 */
	public static function register() {
		add_action( 'admin_init', array( __CLASS__, 'register_settings' ) );
		// Where the token is shown and saved: the settings page, and
		// options.php, which saves it (before it does).
		add_action( 'load-settings_page_' . self::PAGE, array( __CLASS__, 'keep_token_unloaded' ) );
		add_action( 'load-options.php', array( __CLASS__, 'keep_token_unloaded' ) );
		add_action( 'admin_menu', array( __CLASS__, 'add_page' ) );
	}

	/**
	 * The Khabar server's address, without a trailing slash, or '' when unset.
	 *
	 * @return string
	 */
	public static function server_url() {
		$url = self::saved_server_url();
		// One saved before such addresses were refused: a user name or
		// password in it would be printed in every page. None, until the
		// settings page saves one without.
		return self::without_credentials( $url ) === $url ? $url : '';
	}

	/**
	 * The server address as saved, whether or not it can be used: set at
	 * all means withdrawals are kept for when it can.
	 *
	 * @return string
	 */
	public static function saved_server_url() {
		return rtrim( (string) get_option( 'khabar_server_url', '' ), '/' );
	}

	/**
	 * `$url` without a user name or password before its host.
	 *
	 * @param string $url An address.
	 * @return string
	 */
	private static function without_credentials( $url ) {
		return (string) preg_replace( '#^([a-z][a-z0-9+.-]*://)[^/?\#]*@#i', '$1', $url );
	}

	/**
	 * The publishing token, or '' when pushing is off.
	 *
	 * @return string
	 */
	public static function publish_token() {
		return (string) get_option( 'khabar_publish_token', '' );
	}

	/**
	 * The language of the site's articles (BCP 47), by default the site's.
	 *
	 * @return string
	 */
	public static function lang() {
		$lang = (string) get_option( 'khabar_lang', '' );
		return '' !== $lang ? $lang : self::site_lang();
	}

	/**
	 * Whether the placeholder `$placement` (comments, actions) goes under posts.
	 *
	 * @param string $placement One of PLACEMENTS.
	 * @return bool
	 */
	public static function placed( $placement ) {
		$placements = get_option( 'khabar_placements', array() );
		return is_array( $placements ) && in_array( $placement, $placements, true );
	}

	/**
	 * The site's language from its locale: `ar` for ar, `pt-BR` for pt_BR.
	 *
	 * @return string
	 */
	public static function site_lang() {
		$locale = str_replace( '_', '-', (string) get_locale() );
		return '' !== $locale ? $locale : 'ar';
	}

	/**
	 * Keeps the token out of the options WordPress loads on every request
	 * (and out of the copy of them an object cache keeps): created not
	 * autoloaded before the form first saves it (update_option keeps an
	 * option's autoload; the token has no registered default, which would
	 * have it added anew, autoloaded), and one an earlier version stored
	 * autoloaded is switched in place, its value untouched and no hook
	 * fired. Only the push reads it.
	 */
	public static function keep_token_unloaded() {
		global $wpdb;
		if ( array_key_exists( 'khabar_publish_token', wp_load_alloptions() ) ) {
			$wpdb->update( $wpdb->options, array( 'autoload' => 'no' ), array( 'option_name' => 'khabar_publish_token' ) );
			wp_cache_delete( 'alloptions', 'options' );
			wp_cache_delete( 'khabar_publish_token', 'options' );
		} elseif ( null === get_option( 'khabar_publish_token', null ) ) {
			add_option( 'khabar_publish_token', '', '', 'no' );
		}
	}

	/**
	 * Registers the options with their cleaning.
	 */
	public static function register_settings() {
		register_setting(
			self::PAGE,
			'khabar_server_url',
			array(
				'type'              => 'string',
				'default'           => '',
				'sanitize_callback' => array( __CLASS__, 'clean_server_url' ),
			)
		);
		register_setting(
			self::PAGE,
			'khabar_publish_token',
			array(
				'type'              => 'string',
				'sanitize_callback' => array( __CLASS__, 'clean_token' ),
			)
		);
		register_setting(
			self::PAGE,
			'khabar_lang',
			array(
				'type'              => 'string',
				'default'           => '',
				'sanitize_callback' => array( __CLASS__, 'clean_lang' ),
			)
		);
		register_setting(
			self::PAGE,
			'khabar_placements',
			array(
				'type'              => 'array',
				'default'           => array(),
				'sanitize_callback' => array( __CLASS__, 'clean_placements' ),
			)
		);

		add_settings_section( 'khabar_server', __( 'Khabar server', 'khabar' ), '__return_false', self::PAGE );
		add_settings_field( 'khabar_server_url', __( 'Server address', 'khabar' ), array( __CLASS__, 'field_server_url' ), self::PAGE, 'khabar_server', array( 'label_for' => 'khabar_server_url' ) );
		add_settings_field( 'khabar_publish_token', __( 'Publishing token', 'khabar' ), array( __CLASS__, 'field_token' ), self::PAGE, 'khabar_server', array( 'label_for' => 'khabar_publish_token' ) );
		add_settings_field( 'khabar_lang', __( 'Language of the articles', 'khabar' ), array( __CLASS__, 'field_lang' ), self::PAGE, 'khabar_server', array( 'label_for' => 'khabar_lang' ) );
		add_settings_section( 'khabar_placements', __( 'Under every post', 'khabar' ), '__return_false', self::PAGE );
		add_settings_field( 'khabar_placements', __( 'Show', 'khabar' ), array( __CLASS__, 'field_placements' ), self::PAGE, 'khabar_placements' );
	}

	/**
	 * Adds Settings → Khabar.
	 */
	public static function add_page() {
		add_options_page( 'Khabar', 'Khabar', 'manage_options', self::PAGE, array( __CLASS__, 'render_page' ) );
	}

	/**
	 * An http(s) address; anything else is refused with a message and the
	 * stored address is kept.
	 *
	 * @param mixed $value What the form sent.
	 * @return string
	 */
	public static function clean_server_url( $value ) {
		$value = trim( (string) $value );
		if ( '' === $value ) {
			return '';
		}
		$scheme = wp_parse_url( $value, PHP_URL_SCHEME );
		$host   = wp_parse_url( $value, PHP_URL_HOST );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || empty( $host ) ) {
			self::refuse( 'khabar_server_url', __( 'The server address must be an http:// or https:// address, such as https://khabar.news.example. The previous address is kept.', 'khabar' ) );
			return self::saved_server_url();
		}
		// It is printed in every page's script tag: a user name or password
		// in it would be shown to every reader.
		if ( self::without_credentials( $value ) !== $value ) {
			self::refuse( 'khabar_server_url', __( 'The server address cannot hold a user name or password: every page shows it to its readers. The previous address is kept.', 'khabar' ) );
			return self::saved_server_url();
		}
		// The API's paths are added to it: a query or a fragment would end
		// up in the middle of every one.
		if ( null !== wp_parse_url( $value, PHP_URL_QUERY ) || null !== wp_parse_url( $value, PHP_URL_FRAGMENT ) ) {
			self::refuse( 'khabar_server_url', __( 'The server address is the server\'s own address (or folder), without ? or #. The previous address is kept.', 'khabar' ) );
			return self::saved_server_url();
		}
		// An https page does not load a script over http (mixed content):
		// readers would see no widget, and the token would travel in clear.
		// The server on this machine is the one exception.
		$loopback = in_array( strtolower( trim( (string) $host, '[]' ) ), array( 'localhost', '127.0.0.1', '::1' ), true );
		if ( 'http' === $scheme && ! $loopback && 'https' === wp_parse_url( home_url(), PHP_URL_SCHEME ) ) {
			self::refuse( 'khabar_server_url', __( 'This site is on https://, so the server address must be https:// too: browsers do not load the widget from an http:// address on an https:// page. The previous address is kept.', 'khabar' ) );
			return self::saved_server_url();
		}
		return rtrim( esc_url_raw( $value, array( 'http', 'https' ) ), '/' );
	}

	/**
	 * The token without surrounding blanks; a token with inner blanks or
	 * control characters is refused (it could not be sent in a header).
	 * The settings page never shows the saved token: its field left empty
	 * keeps it, and only the box beside it removes it.
	 *
	 * @param mixed $value What the form sent.
	 * @return string
	 */
	public static function clean_token( $value ) {
		$value = trim( (string) $value );
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- options.php checked the form's nonce before saving.
		$from_page = isset( $_POST['option_page'] ) && self::PAGE === $_POST['option_page'];
		if ( '' === $value && $from_page ) {
			return empty( $_POST['khabar_publish_token_remove'] ) ? self::publish_token() : '';
		}
		// phpcs:enable
		if ( '' !== $value && ! preg_match( '/^[\x21-\x7e]+$/', $value ) ) {
			self::refuse( 'khabar_publish_token', __( 'The publishing token can hold visible ASCII characters only. The previous token is kept.', 'khabar' ) );
			return self::publish_token();
		}
		// A browser may fill a saved password into the empty field: that
		// would go to Khabar in every request's header.
		$user = wp_get_current_user();
		if ( '' !== $value && $user->exists() && wp_check_password( $value, $user->user_pass, $user->ID ) ) {
			self::refuse( 'khabar_publish_token', __( 'That is your WordPress password (a browser may have filled it in), not the server\'s token. The previous token is kept.', 'khabar' ) );
			return self::publish_token();
		}
		return $value;
	}

	/**
	 * A BCP 47 language tag (`ar`, `fa`, `en-GB`), or '' for the site's.
	 *
	 * @param mixed $value What the form sent.
	 * @return string
	 */
	public static function clean_lang( $value ) {
		$value = trim( (string) $value );
		if ( '' !== $value && ! preg_match( '/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/', $value ) ) {
			self::refuse( 'khabar_lang', __( 'The language must be a language tag such as ar, fa or en-GB. The previous language is kept.', 'khabar' ) );
			return (string) get_option( 'khabar_lang', '' );
		}
		return $value;
	}

	/**
	 * The known placements among those ticked.
	 *
	 * @param mixed $value What the form sent.
	 * @return string[]
	 */
	public static function clean_placements( $value ) {
		$value = is_array( $value ) ? array_map( 'strval', $value ) : array();
		return array_values( array_intersect( self::PLACEMENTS, $value ) );
	}

	/**
	 * Reports a refused value once (WordPress may clean a new option twice).
	 *
	 * @param string $option  The option's name.
	 * @param string $message What is wrong and what happened.
	 */
	private static function refuse( $option, $message ) {
		foreach ( get_settings_errors( $option ) as $error ) {
			if ( $error['message'] === $message ) {
				return;
			}
		}
		add_settings_error( $option, $option . '_invalid', $message, 'error' );
	}

	/**
	 * The server address field.
	 */
	public static function field_server_url() {
		printf(
			'<input type="url" class="regular-text code" id="khabar_server_url" name="khabar_server_url" value="%s" placeholder="https://khabar.news.example" dir="ltr">',
			// One saved with a user name (before those were refused) shows
			// without it: saving the page keeps its host, never the secret.
			esc_attr( self::without_credentials( self::saved_server_url() ) )
		);
		if ( self::saved_server_url() !== self::server_url() ) {
			echo '<p class="description khabar-unused">' . esc_html__( 'The saved address holds a user name or password, which every page would show: it is not used. Save the address again without them.', 'khabar' ) . '</p>';
		}
		echo '<p class="description">' . esc_html__( 'Where khabar-server runs. Start it with --site and this site\'s address so that comments can be written from your pages.', 'khabar' ) . '</p>';
	}

	/**
	 * The publishing token field.
	 */
	public static function field_token() {
		$saved = '' !== self::publish_token();
		// Never the token itself: the page's HTML is not a place for it.
		printf(
			'<input type="password" class="regular-text code" id="khabar_publish_token" name="khabar_publish_token" value="" placeholder="%s" autocomplete="new-password" data-1p-ignore data-lpignore="true" data-bwignore dir="ltr">',
			$saved ? esc_attr__( 'Saved. Type a new token to replace it.', 'khabar' ) : ''
		);
		if ( $saved ) {
			printf(
				'<br><label><input type="checkbox" id="khabar_publish_token_remove" name="khabar_publish_token_remove" value="1"> %s</label>',
				esc_html__( 'Remove the token: nothing is sent any more.', 'khabar' )
			);
		}
		echo '<p class="description">' . esc_html__( 'The server\'s --publish-token. With a token, posts are sent to Khabar when they are published, updated, trashed, restored or deleted. Without one, nothing is sent.', 'khabar' ) . '</p>';
	}

	/**
	 * The language field.
	 */
	public static function field_lang() {
		printf(
			'<input type="text" class="small-text" id="khabar_lang" name="khabar_lang" value="%s" placeholder="%s" dir="ltr">',
			esc_attr( (string) get_option( 'khabar_lang', '' ) ),
			esc_attr( self::site_lang() )
		);
		echo '<p class="description">' . esc_html__( 'Of the articles sent and of the widget\'s interface. Empty: the site\'s language.', 'khabar' ) . '</p>';
	}

	/**
	 * The placements' checkboxes.
	 */
	public static function field_placements() {
		$labels = array(
			'comments' => __( 'Comments (by the post\'s address)', 'khabar' ),
			'actions'  => __( 'Reader actions: share, send to a friend, print, RSS', 'khabar' ),
		);
		echo '<fieldset>';
		foreach ( $labels as $key => $label ) {
			printf(
				'<label><input type="checkbox" name="khabar_placements[]" value="%s"%s> %s</label><br>',
				esc_attr( $key ),
				checked( self::placed( $key ), true, false ),
				esc_html( $label )
			);
		}
		echo '</fieldset><p class="description">' . esc_html__( 'Anywhere else, use the shortcode: [khabar kind="comments"], [khabar kind="actions"], [khabar kind="latest" limit="5"].', 'khabar' ) . '</p>';
	}

	/**
	 * The page: the form, then what the last push did.
	 */
	public static function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>Khabar</h1>';
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a count shown back, nothing done.
		if ( isset( $_GET['khabar-queued'] ) ) {
			$queued = absint( $_GET['khabar-queued'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
			printf(
				'<div id="khabar-queued" class="notice notice-info"><p>%s</p></div>',
				esc_html(
					sprintf(
						/* translators: %d: number of posts */
						_n( '%d published post is on its way to Khabar.', '%d published posts are on their way to Khabar.', $queued, 'khabar' ),
						$queued
					)
				)
			);
		}
		echo '<form method="post" action="options.php">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form>';
		$ids = '<bdi dir="ltr"><code>' . esc_html( Khabar_Ids::prefix() . '-{post id}' ) . '</code></bdi>';
		printf(
			'<h2>%s</h2><p id="khabar-ids">%s</p>',
			esc_html__( 'Article ids', 'khabar' ),
			Khabar_Ids::is_chosen()
				/* translators: %s: the form of the ids, such as site.example-ar-{post id} */
				? sprintf( esc_html__( 'This site\'s posts are in Khabar under the ids %s.', 'khabar' ), $ids ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
				/* translators: %s: the form of the ids, such as site.example-{post id} */
				: sprintf( esc_html__( 'Khabar has not been asked yet which ids this site\'s posts have (it is, before a post is sent); until then, pages use %s.', 'khabar' ), $ids ) // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
		);
		if ( Khabar_Push::enabled() ) {
			printf( '<h2>%s</h2><p>%s</p>', esc_html__( 'Posts published before', 'khabar' ), esc_html__( 'Posts are sent as they change. To send every published post now (those from before the plugin was set up, say), use this button; they go in the background, newest first.', 'khabar' ) );
			echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
			echo '<input type="hidden" name="action" value="khabar_push_all">';
			wp_nonce_field( 'khabar_push_all' );
			submit_button( __( 'Send every published post', 'khabar' ), 'secondary', 'khabar-push-all', false );
			echo '</form>';
			$waiting = Khabar_Push::waiting();
			if ( $waiting > 0 ) {
				printf(
					'<p id="khabar-waiting">%s</p>',
					esc_html(
						sprintf(
							/* translators: %d: number of posts */
							_n( '%d post waits to be sent.', '%d posts wait to be sent.', $waiting, 'khabar' ),
							$waiting
						)
					)
				);
			}
		}
		$status = get_option( 'khabar_push_status' );
		if ( is_array( $status ) && isset( $status['time'], $status['ok'], $status['message'] ) ) {
			printf(
				// The log line is English (`PUT site-42: HTTP 401 …`): left to right
				// inside an Arabic screen, its parts in their order.
				'<h2>%s</h2><p id="khabar-push-status" class="%s">%s — <bdi dir="ltr">%s</bdi></p>',
				esc_html__( 'Last push', 'khabar' ),
				$status['ok'] ? 'khabar-push-ok' : 'khabar-push-failed',
				esc_html( wp_date( 'Y-m-d H:i:s', (int) $status['time'] ) ),
				esc_html( (string) $status['message'] )
			);
		}
		$refused = Khabar_Push::refused_posts();
		if ( array() !== $refused ) {
			printf(
				'<h2>%s</h2><p>%s</p><ul id="khabar-refused">',
				esc_html__( 'Posts Khabar refused', 'khabar' ),
				esc_html__( 'Khabar refused these posts as they are, so they are not sent again until they are saved again (after the change its answer asks for).', 'khabar' )
			);
			foreach ( $refused as $post_id => $why ) {
				$title = get_the_title( $post_id );
				$link  = get_edit_post_link( $post_id );
				printf(
					'<li>%s — %s — <bdi dir="ltr">%s</bdi></li>',
					$link ? '<a href="' . esc_url( $link ) . '" dir="auto">' . esc_html( '' !== $title ? $title : '#' . $post_id ) . '</a>' : esc_html( '#' . $post_id ),
					esc_html( wp_date( 'Y-m-d H:i:s', (int) $why['time'] ) ),
					esc_html( (string) $why['message'] )
				);
			}
			echo '</ul>';
		}
		echo '</div>';
	}
}
