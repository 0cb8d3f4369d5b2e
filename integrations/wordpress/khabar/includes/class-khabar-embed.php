<?php
/**
 * The widget on the site's pages: its script tag, the `[khabar]` shortcode
 * and the placeholders under posts (docs/embedding.md).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Prints placeholders and enqueues the widget's module where one is printed.
 */
final class Khabar_Embed {

	/** The script's handle. */
	const HANDLE = 'khabar-widget';

	/** The kinds the shortcode accepts. */
	const KINDS = array( 'comments', 'actions', 'latest', 'article', 'card' );

	/**
	 * True while a post is rendered for Khabar itself: no placeholders then.
	 *
	 * @var bool
	 */
	public static $rendering_article = false;

	/**
	 * Hooks the shortcode, the placeholders and the script tag in.
	 */
	public static function register() {
		add_shortcode( 'khabar', array( __CLASS__, 'shortcode' ) );
		// After the content's own filters (blocks, shortcodes, paragraphs).
		add_filter( 'the_content', array( __CLASS__, 'after_content' ), 20 );
		add_filter( 'script_loader_tag', array( __CLASS__, 'module_tag' ), 10, 3 );
		add_filter( 'comments_open', array( __CLASS__, 'wordpress_comments_open' ), 20, 2 );
	}

	/**
	 * Where Khabar's comments go under a post, WordPress's own form does
	 * not (two comment forms would split the conversation). The post's own
	 * setting is untouched: it is what the push sends as `comments_open`.
	 *
	 * @param bool        $open    Whether WordPress would take comments.
	 * @param int|WP_Post $post_id The post.
	 * @return bool
	 */
	public static function wordpress_comments_open( $open, $post_id ) {
		if ( ! $open || is_admin() || wp_is_json_request() || ! Khabar_Settings::placed( 'comments' ) || '' === Khabar_Settings::server_url() ) {
			return $open;
		}
		// Only where Khabar's comments are: a post behind a password keeps
		// WordPress's own, for the readers who have the password.
		return ! Khabar_Article::is_public( get_post( $post_id ) );
	}

	/**
	 * `[khabar kind="comments|actions|latest|article|card" id="…" url="…"
	 * title="…" limit="…" section="…"]`; comments and actions default to the
	 * current post.
	 *
	 * @param array|string $atts The shortcode's attributes.
	 * @return string
	 */
	public static function shortcode( $atts ) {
		// The post as Khabar stores it has no placeholders: Khabar shows
		// the article, it does not embed itself in it.
		if ( self::$rendering_article ) {
			return '';
		}
		$atts = shortcode_atts(
			array(
				'kind'    => 'comments',
				'id'      => '',
				'url'     => '',
				'title'   => '',
				'limit'   => '',
				'section' => '',
			),
			$atts,
			'khabar'
		);
		$kind = strtolower( (string) $atts['kind'] );
		if ( ! in_array( $kind, self::KINDS, true ) ) {
			// Shown to the site's editors only; readers see nothing.
			return current_user_can( 'edit_posts' )
				? '<p class="khabar-error">' . esc_html( sprintf( /* translators: %s: the kind given */ __( '[khabar]: unknown kind "%s" (comments, actions, latest, article or card).', 'khabar' ), $kind ) ) . '</p>'
				: '';
		}
		$post  = get_post();
		$attrs = array();
		switch ( $kind ) {
			case 'comments':
				if ( '' !== $atts['id'] ) {
					$attrs['data-khabar-article-id'] = $atts['id'];
				} elseif ( '' !== $atts['url'] ) {
					// The post's title names another page's thread only if
					// it is public (Khabar's threads are).
					$attrs['data-khabar-article-url']   = $atts['url'];
					$attrs['data-khabar-article-title'] = '' !== $atts['title'] ? $atts['title'] : ( self::shown( $post ) ? Khabar_Article::text( get_the_title( $post ) ) : '' );
				} elseif ( $post ) {
					// A private, protected or draft post's thread would be
					// public in Khabar (its title, its comments): none.
					if ( ! self::shown( $post ) ) {
						return '';
					}
					$attrs = self::thread_of( $post );
				}
				break;
			case 'actions':
			case 'article':
			case 'card':
				$attrs['data-khabar-article-id'] = '' !== $atts['id'] ? $atts['id'] : ( $post ? Khabar_Article::id( $post->ID ) : '' );
				break;
			case 'latest':
				if ( '' !== $atts['limit'] ) {
					$attrs['data-khabar-limit'] = (string) absint( $atts['limit'] );
				}
				if ( '' !== $atts['section'] ) {
					$attrs['data-khabar-section'] = $atts['section'];
				}
				break;
		}
		return self::placeholder( $kind, $attrs );
	}

	/**
	 * Whether anyone may read `$post` (published, no password): a page of
	 * any type, not only the posts Khabar stores.
	 *
	 * @param WP_Post|null $post The post.
	 * @return bool
	 */
	private static function shown( $post ) {
		return $post instanceof WP_Post && 'publish' === $post->post_status && '' === $post->post_password;
	}

	/**
	 * The ticked placeholders under a single post's content.
	 *
	 * @param string $content The rendered content.
	 * @return string
	 */
	public static function after_content( $content ) {
		if ( self::$rendering_article || is_admin() || is_feed() || ! is_singular( Khabar_Article::post_types() ) ) {
			return $content;
		}
		$post = get_post();
		// Only under a post Khabar has: published, without a password (the
		// push hides those, and a reader's comment would start a thread of
		// its own under the post's address).
		if ( ! Khabar_Article::is_public( $post ) || (int) $post->ID !== (int) get_queried_object_id() ) {
			return $content;
		}
		if ( Khabar_Settings::placed( 'actions' ) ) {
			$content .= self::placeholder( 'actions', array( 'data-khabar-article-id' => Khabar_Article::id( $post->ID ) ) );
		}
		if ( Khabar_Settings::placed( 'comments' ) ) {
			$content .= self::placeholder( 'comments', self::thread_of( $post ) );
		}
		return $content;
	}

	/**
	 * What names a post's comment thread: its address (Khabar takes comments
	 * for any page of a site given with --site, pushed or not), except with
	 * WordPress's plain links (`/?p=12`) or a query of another kind: those
	 * use the article id, and need the post pushed (or synced) first. (Khabar
	 * servers before 2026-12-03 dropped every query of a page's address, so
	 * all such posts would have shared one thread there.)
	 *
	 * @param WP_Post $post The post.
	 * @return array<string, string>
	 */
	private static function thread_of( WP_Post $post ) {
		// Plain links, or a post type registered without rewrites (`/?news=slug`).
		$query = wp_parse_url( (string) get_permalink( $post ), PHP_URL_QUERY );
		if ( '' === (string) get_option( 'permalink_structure' ) || null !== $query ) {
			return array( 'data-khabar-article-id' => Khabar_Article::id( $post->ID ) );
		}
		return array(
			'data-khabar-article-url'   => get_permalink( $post ),
			'data-khabar-article-title' => Khabar_Article::text( get_the_title( $post ) ),
		);
	}

	/**
	 * The post a placeholder is shown with, whose language its interface
	 * speaks: the post whose content is being rendered (a shortcode in it,
	 * the widgets under it), else the page's own post; none elsewhere on a
	 * page of several posts (a sidebar's or a footer's shortcode on the
	 * front page), where WordPress's current post is only whichever the
	 * main query or a loop left behind: the page's language then
	 * (`khabar_post_lang` with no post).
	 *
	 * @return WP_Post|null
	 */
	private static function shown_with() {
		$post = doing_filter( 'the_content' ) ? get_post() : ( is_singular() ? get_queried_object() : null );
		return $post instanceof WP_Post ? $post : null;
	}

	/**
	 * One placeholder, and the widget's script for the page; nothing when
	 * no server is set.
	 *
	 * @param string               $kind  The widget's kind.
	 * @param array<string,string> $attrs Its data attributes.
	 * @return string
	 */
	private static function placeholder( $kind, array $attrs ) {
		$server = Khabar_Settings::server_url();
		if ( '' === $server ) {
			return '';
		}
		wp_enqueue_script( self::HANDLE, $server . '/khabar/khabar.js', array(), null, true );
		$attrs['data-khabar-lang'] = strtolower( strtok( Khabar_Article::lang( self::shown_with() ), '-' ) );
		$html               = '<div class="khabar-' . esc_attr( $kind ) . '" data-khabar="' . esc_attr( $kind ) . '"';
		foreach ( $attrs as $name => $value ) {
			$html .= ' ' . $name . '="' . esc_attr( $value ) . '"';
		}
		return $html . '></div>';
	}

	/**
	 * The widget is an ES module, with the API next to the script.
	 *
	 * @param string $tag    The tag WordPress made.
	 * @param string $handle The script's handle.
	 * @param string $src    The script's address.
	 * @return string
	 */
	public static function module_tag( $tag, $handle, $src ) {
		if ( self::HANDLE !== $handle ) {
			return $tag;
		}
		return sprintf(
			'<script type="module" src="%s" data-api="%s"></script>' . "\n",
			esc_url( $src ),
			esc_url( Khabar_Settings::server_url() . '/api/v1' )
		);
	}
}
