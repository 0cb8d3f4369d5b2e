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
	 * The article id of a post: `{host}-{post id}`, the host's characters
	 * other than letters, digits, `.`, `-` and `_` as `-`, and `-{port}` when
	 * the site's address names one, as the sync makes it.
	 *
	 * @param int $post_id The post's id.
	 * @return string
	 */
	public static function id( $post_id ) {
		$home   = home_url();
		$host   = strtolower( (string) wp_parse_url( $home, PHP_URL_HOST ) );
		$port   = wp_parse_url( $home, PHP_URL_PORT );
		$scheme = wp_parse_url( $home, PHP_URL_SCHEME );
		$key    = substr( (string) preg_replace( '/[^A-Za-z0-9._-]/', '-', '' !== $host ? $host : 'source' ), 0, 80 );
		$usual  = ( 'http' === $scheme && 80 === $port ) || ( 'https' === $scheme && 443 === $port );
		if ( $port && ! $usual ) {
			$key .= '-' . $port;
		}
		return $key . '-' . (int) $post_id;
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
	 * The article of a published post, for `PUT /api/v1/admin/articles/{id}`.
	 *
	 * @param WP_Post $post The post.
	 * @return array<string, mixed>
	 */
	public static function from_post( WP_Post $post ) {
		$article = array(
			'id'            => self::id( $post->ID ),
			'url'           => get_permalink( $post ),
			'title'         => self::text( get_the_title( $post ) ),
			'summary'       => self::text( self::excerpt( $post ) ),
			'body_html'     => self::content( $post ),
			'published_at'  => get_post_time( 'c', true, $post ),
			'lang'          => Khabar_Settings::lang(),
			'comments_open' => 'closed' !== $post->comment_status,
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
	 * The excerpt as the site shows it (written, or made from the content).
	 *
	 * @param WP_Post $post The post.
	 * @return string
	 */
	private static function excerpt( WP_Post $post ) {
		if ( '' !== trim( $post->post_excerpt ) ) {
			return apply_filters( 'get_the_excerpt', $post->post_excerpt, $post );
		}
		return wp_trim_words( self::text( self::content( $post ) ), 55, '…' );
	}

	/**
	 * The content rendered as the site renders it (blocks, shortcodes),
	 * without the plugin's own placeholders. Khabar cleans it on arrival.
	 *
	 * @param WP_Post $post The post.
	 * @return string
	 */
	private static function content( WP_Post $post ) {
		$previous = isset( $GLOBALS['post'] ) ? $GLOBALS['post'] : null;
		$GLOBALS['post'] = $post; // Blocks and shortcodes read the global post.
		setup_postdata( $post );
		Khabar_Embed::$rendering_article = true;
		$html = apply_filters( 'the_content', $post->post_content );
		Khabar_Embed::$rendering_article = false;
		$GLOBALS['post'] = $previous;
		if ( $previous instanceof WP_Post ) {
			setup_postdata( $previous );
		}
		return str_replace( ']]>', ']]&gt;', (string) $html );
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
