<?php
/**
 * A WordPress post as a Khabar article (docs/api.md, "GET /articles/{id}").
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Maps posts to articles the way khabar-server's WordPress sync does, so a
 * site can move between pulling and pushing without changing an article's
 * id, URL or comments.
 */
final class Khabar_Article {

	/**
	 * The post types sent to Khabar and given placeholders; `khabar_post_types`
	 * filters the list.
	 *
	 * @return string[]
	 */
	public static function post_types() {
		return (array) apply_filters( 'khabar_post_types', array( 'post' ) );
	}

	/**
	 * Whether Khabar has `$post`: published, of a pushed type, without a
	 * password. Only such posts are pushed and get Khabar's comments.
	 *
	 * @param WP_Post|null $post The post.
	 * @return bool
	 */
	public static function is_public( $post ) {
		return $post instanceof WP_Post
			&& 'publish' === $post->post_status
			&& '' === $post->post_password
			&& in_array( $post->post_type, self::post_types(), true );
	}

	/**
	 * The article id of a post: `{host}-{post id}`, or `{host}-{path}-{post
	 * id}` for a site in a subdirectory (Khabar_Ids), as the sync makes it.
	 *
	 * @param int $post_id The post's id.
	 * @return string
	 */
	public static function id( $post_id ) {
		return Khabar_Ids::prefix() . '-' . (int) $post_id;
	}

	/**
	 * Plain text of a rendered title, excerpt or caption.
	 *
	 * @param string $html Rendered HTML.
	 * @return string
	 */
	public static function text( $html ) {
		$text = html_entity_decode( wp_strip_all_tags( (string) $html ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
		return trim( (string) preg_replace( '/\s+/u', ' ', $text ) );
	}

	/**
	 * The language of `$post` (BCP 47): the plugin's setting, unless the
	 * `khabar_post_lang` filter names another. A site in several languages
	 * answers from its multilingual plugin there (Polylang's
	 * `pll_get_post_language()`, WPML's `wpml_post_language_details`); a
	 * WordPress locale (`en_GB`, what those give) becomes its tag (`en-GB`),
	 * and a value that is not a language tag is ignored.
	 *
	 * @param WP_Post|null $post The post, or null (no post: a page's list).
	 * @return string
	 */
	public static function lang( $post ) {
		$lang = apply_filters( 'khabar_post_lang', Khabar_Settings::lang(), $post );
		$lang = is_string( $lang ) ? str_replace( '_', '-', $lang ) : '';
		return preg_match( '/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/', $lang ) ? $lang : Khabar_Settings::lang();
	}

	/**
	 * The article of a published post, for `PUT /api/v1/admin/articles/{id}`.
	 *
	 * @param WP_Post $post The post.
	 * @return array<string, mixed>
	 */
	public static function from_post( WP_Post $post ) {
		$article = array(
			'id'            => self::id( $post->ID ),
			'url'           => get_permalink( $post ),
			'title'         => self::title( $post ),
			'summary'       => self::text( self::excerpt( $post ) ),
			'body_html'     => self::content( $post ),
			'published_at'  => get_post_time( 'c', true, $post ),
			'lang'          => self::lang( $post ),
			'comments_open' => self::comments_open( $post ),
		);
		$modified = get_post_modified_time( 'c', true, $post );
		if ( $modified && $modified !== $article['published_at'] ) {
			$article['updated_at'] = $modified;
		}
		$author = get_the_author_meta( 'display_name', (int) $post->post_author );
		if ( '' !== trim( (string) $author ) ) {
			$article['author'] = self::text( $author );
		}
		$categories = get_the_category( $post->ID );
		if ( ! empty( $categories ) ) {
			// WordPress keeps non-ASCII slugs percent-encoded.
			$article['section'] = rawurldecode( $categories[0]->slug );
		}
		$image = self::image( $post );
		if ( null !== $image ) {
			$article['image'] = $image;
		}
		return $article;
	}

	/**
	 * The title as text. Both editors publish a post without one, and
	 * Khabar needs one: the first words of the text stand in, as in the
	 * admin's lists, or WordPress's own "(no title)".
	 *
	 * @param WP_Post $post The post.
	 * @return string
	 */
	private static function title( WP_Post $post ) {
		$title = self::text( get_the_title( $post ) );
		if ( '' === $title ) {
			$title = wp_trim_words( self::text( self::content( $post ) ), 10, '…' );
		}
		return '' !== $title ? $title : __( '(no title)' ); // phpcs:ignore WordPress.WP.I18n.MissingArgDomain -- WordPress's own string, in its translation.
	}

	/**
	 * Whether WordPress takes comments on the post, as it tells its own
	 * readers: the post's setting and the site's "close comments on posts
	 * older than N days" (a `comments_open` filter, not the setting), but
	 * not the plugin's own filter, which hands the comments to Khabar.
	 *
	 * @param WP_Post $post The post.
	 * @return bool
	 */
	public static function comments_open( WP_Post $post ) {
		$ours     = array( 'Khabar_Embed', 'wordpress_comments_open' );
		$priority = has_filter( 'comments_open', $ours );
		if ( false !== $priority ) {
			remove_filter( 'comments_open', $ours, $priority );
		}
		$open = comments_open( $post );
		if ( false !== $priority ) {
			add_filter( 'comments_open', $ours, $priority, 2 );
		}
		return (bool) $open;
	}

	/**
	 * The age in days at which WordPress closes comments (the site's
	 * "close comments on posts older than N days"), or null when it does not.
	 *
	 * @return int|null
	 */
	public static function closing_days() {
		$days = (int) get_option( 'close_comments_days_old' );
		return get_option( 'close_comments_for_old_posts' ) && $days > 0 ? $days : null;
	}

	/**
	 * The post types whose comments WordPress closes by age.
	 *
	 * @return string[]
	 */
	public static function closing_types() {
		return (array) apply_filters( 'close_comments_for_post_types', array( 'post' ) );
	}

	/**
	 * When WordPress will close comments on the post by its age, or null.
	 *
	 * @param WP_Post $post The post.
	 * @return int|null A Unix time.
	 */
	public static function closes_at( WP_Post $post ) {
		$days = self::closing_days();
		if ( null === $days || ! in_array( $post->post_type, self::closing_types(), true ) ) {
			return null;
		}
		return (int) strtotime( $post->post_date_gmt . ' UTC' ) + $days * DAY_IN_SECONDS;
	}

	/**
	 * The excerpt as the site shows it, and as the REST API's
	 * `excerpt.rendered` that the sync reads: written, or made by WordPress
	 * from the content (its length and "more" filters, without shortcodes
	 * and media blocks such as a captioned photo).
	 *
	 * @param WP_Post $post The post.
	 * @return string
	 */
	private static function excerpt( WP_Post $post ) {
		return (string) self::rendering(
			$post,
			function () use ( $post ) {
				return apply_filters( 'the_excerpt', apply_filters( 'get_the_excerpt', $post->post_excerpt, $post ) );
			}
		);
	}

	/**
	 * The content rendered as the site renders it (blocks, shortcodes),
	 * without the plugin's own placeholders. Khabar cleans it on arrival.
	 *
	 * @param WP_Post $post The post.
	 * @return string
	 */
	private static function content( WP_Post $post ) {
		$html = self::rendering(
			$post,
			function () use ( $post ) {
				return apply_filters( 'the_content', $post->post_content );
			}
		);
		return str_replace( ']]>', ']]&gt;', (string) $html );
	}

	/**
	 * Runs `$render` with `$post` as the global post (blocks and shortcodes
	 * read it) and the plugin's own placeholders left out, and puts both
	 * back, also when another plugin's filter throws. What a shortcode or a
	 * notice prints meanwhile is dropped: the push runs as the request ends,
	 * after the editor's answer, whose JSON it would otherwise break.
	 *
	 * @param WP_Post  $post   The post.
	 * @param callable $render What renders.
	 * @return mixed What `$render` returns.
	 */
	private static function rendering( WP_Post $post, callable $render ) {
		$previous        = isset( $GLOBALS['post'] ) ? $GLOBALS['post'] : null;
		$GLOBALS['post'] = $post;
		setup_postdata( $post );
		Khabar_Embed::$rendering_article = true;
		$level = ob_get_level();
		ob_start();
		try {
			return $render();
		} finally {
			// A buffer another plugin made that cannot be removed stays.
			while ( ob_get_level() > $level && ob_end_clean() ) {
				continue;
			}
			Khabar_Embed::$rendering_article = false;
			$GLOBALS['post'] = $previous;
			if ( $previous instanceof WP_Post ) {
				setup_postdata( $previous );
			}
		}
	}

	/**
	 * The featured image with its alt text and caption, or null.
	 *
	 * @param WP_Post $post The post.
	 * @return array<string, string>|null
	 */
	private static function image( WP_Post $post ) {
		$id = (int) get_post_thumbnail_id( $post );
		if ( ! $id ) {
			return null;
		}
		$url = wp_get_attachment_image_url( $id, 'full' );
		if ( ! $url ) {
			return null;
		}
		$image   = array(
			'url' => $url,
			'alt' => self::text( (string) get_post_meta( $id, '_wp_attachment_image_alt', true ) ),
		);
		$caption = self::text( (string) wp_get_attachment_caption( $id ) );
		if ( '' !== $caption ) {
			$image['caption'] = $caption;
		}
		return $image;
	}
}
