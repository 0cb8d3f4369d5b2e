<?php
/**
 * Comments WordPress closes by age ("close comments on posts older than N
 * days"): WordPress changes nothing on the post then, it only stops taking
 * comments, so Khabar is told by sending the post again.
 *
 * One WP-Cron event, due a minute after the next post closes, whatever
 * the number of posts: a newsroom publishing hundreds of posts a day
 * would otherwise hold thousands of events in the `cron` option, which
 * WordPress loads on every request and writes whole on every change.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Plans and runs the sending of posts whose comments closed by age.
 */
final class Khabar_Closing {

	/** The cron event, due once the next post's comments have closed. */
	const EVENT = 'khabar_close_due';

	/**
	 * The moment up to which closings were sent (a Unix time): a run sends
	 * the posts that closed after it.
	 */
	const THROUGH = 'khabar_closed_through';

	/**
	 * The age in days (0: none) under which the closings up to THROUGH
	 * were sent: when the site's changes, the posts it closes or opens
	 * again are sent at once (see follow_age()).
	 */
	const AGE = 'khabar_closing_age';

	/**
	 * What a change of the age left to send: the posts published after
	 * `after` (null: from the first) and by `until`, sent a batch a run.
	 */
	const REDO = 'khabar_closing_redo';

	/** The event earlier builds planned, one per post. */
	const EVENT_PER_POST = 'khabar_comments_closed';

	/** Most posts one run hands to the push; the next run goes on at once. */
	const BATCH = 100;

	/**
	 * Hooks the event and the site's settings for comments in.
	 */
	public static function register() {
		add_action( 'init', array( __CLASS__, 'start' ) );
		add_action( self::EVENT, array( __CLASS__, 'run' ) );
		foreach ( array( 'close_comments_for_old_posts', 'close_comments_days_old' ) as $option ) {
			add_action( 'update_option_' . $option, array( __CLASS__, 'plan' ) );
			add_action( 'add_option_' . $option, array( __CLASS__, 'plan' ) );
		}
	}

	/**
	 * The first time (a new site, or one that planned an event per post
	 * before): closings are sent from a day back, so that one whose event
	 * had not run yet still goes (a post sent twice goes as it is), the old
	 * events go, and the next closing is planned. Then nothing: the option
	 * is loaded with the others.
	 */
	public static function start() {
		if ( false === get_option( self::THROUGH, false ) ) {
			add_option( self::THROUGH, time() - DAY_IN_SECONDS );
			wp_unschedule_hook( self::EVENT_PER_POST );
			self::plan();
		}
		// A change the settings' hooks did not see (made with the plugin
		// inactive, say) is followed on the next request.
		if ( self::follow_age() ) {
			self::plan();
		}
	}

	/**
	 * Follows a change of the site's age for comments (Settings →
	 * Discussion): the posts it closes, and those it opens again, are sent
	 * by the event, due at once, a batch a run (turning the closing on or off
	 * concerns a whole archive, too much for the request that saves the
	 * setting), and the closings go on from now. Shortened from 30 days to
	 * 7, say, the posts of 7 to 30 days would otherwise stay open in Khabar;
	 * lengthened, or the closing turned off, posts stay closed there that
	 * WordPress opened. Turning it on sends every post past the age, as
	 * "send every published post" would.
	 *
	 * @return bool Whether the age changed.
	 */
	private static function follow_age() {
		$age = (int) Khabar_Article::closing_days();
		$was = get_option( self::AGE, false );
		if ( false === $was ) {
			// The first look (a new site, or an earlier build's, whose
			// closings were sent under today's age).
			add_option( self::AGE, $age );
			return false;
		}
		$was = (int) $was;
		if ( $was === $age ) {
			return false;
		}
		$now = time();
		// Posts published by $sent went to Khabar closed; by $due, WordPress
		// closes them now (null: none).
		$sent = $was > 0 ? self::through() - $was * DAY_IN_SECONDS : null;
		$due  = $age > 0 ? $now - $age * DAY_IN_SECONDS : null;
		if ( $sent !== $due ) {
			// Between the two (one of them at least is a time).
			self::keep_redo( null === $sent || null === $due ? null : min( $sent, $due ), max( (int) $sent, (int) $due ) );
		}
		update_option( self::THROUGH, $now );
		update_option( self::AGE, $age );
		return true;
	}

	/**
	 * Records posts to send (see REDO), with what was left to send already
	 * (a run may have taken some of it meanwhile: sent again, they go as
	 * they are).
	 *
	 * @param int|null $after A Unix time: after it (null: from the first).
	 * @param int      $until A Unix time: by then.
	 */
	private static function keep_redo( $after, $until ) {
		$left = get_option( self::REDO, false );
		if ( is_array( $left ) ) {
			$after = null === $after || null === $left['after'] ? null : min( $after, (int) $left['after'] );
			$until = max( $until, (int) $left['until'] );
		}
		self::save_redo( $after, $until );
	}

	/**
	 * Stores what is left to send (see REDO); not loaded with every request.
	 *
	 * @param int|null $after A Unix time: after it (null: from the first).
	 * @param int      $until A Unix time: by then.
	 */
	private static function save_redo( $after, $until ) {
		update_option(
			self::REDO,
			array(
				'after' => $after,
				'until' => $until,
			),
			false
		);
	}

	/**
	 * Hands the push a batch of what a change of the age left to send (see
	 * follow_age()), and the rest of the last one's second with it.
	 */
	private static function send_redo() {
		$left = get_option( self::REDO, false );
		if ( ! is_array( $left ) ) {
			return;
		}
		$until = (int) $left['until'];
		$batch = self::batch( null === $left['after'] ? null : (int) $left['after'], $until );
		if ( null === $batch ) {
			// The posts could not be read: what is left stays, whole, for
			// the next run.
			return;
		}
		list( $ids, $reached ) = $batch;
		$done                  = null === $reached || $reached >= $until;
		if ( ! empty( $ids ) ) {
			Khabar_Push::send_soon( $ids );
		}
		// A change of the age saved meanwhile (another request) added to the
		// range: it is kept whole.
		wp_cache_delete( self::REDO, 'options' );
		$now_left = get_option( self::REDO, false );
		if ( $now_left !== $left ) {
			return;
		}
		if ( $done ) {
			delete_option( self::REDO );
		} else {
			self::save_redo( $reached, $until );
		}
	}

	/**
	 * Khabar just took `$post`: its closing is planned, when it comes
	 * before the one the event waits for (a new post closes last, so this
	 * is rarely more than a look at the event).
	 *
	 * @param WP_Post $post The post, as sent.
	 */
	public static function took( WP_Post $post ) {
		$at = Khabar_Article::closes_at( $post );
		if ( null === $at || $at <= self::through() || ! Khabar_Article::comments_open( $post ) ) {
			return;
		}
		$next = wp_next_scheduled( self::EVENT );
		if ( false === $next || $next > $at + MINUTE_IN_SECONDS ) {
			self::schedule( $at + MINUTE_IN_SECONDS );
		}
	}

	/**
	 * Plans the event for the first post that closes after what was sent,
	 * or for none when comments do not close by age (or posts are not
	 * pushed, until a token is set: the closings wait, none is lost).
	 */
	public static function plan() {
		self::follow_age();
		if ( Khabar_Push::enabled() && false !== get_option( self::REDO, false ) ) {
			// What a change of the age left to send: due now.
			$next = wp_next_scheduled( self::EVENT );
			if ( false === $next || $next > time() ) {
				self::schedule( time() );
			}
			return;
		}
		$days = Khabar_Article::closing_days();
		if ( null === $days || ! Khabar_Push::enabled() ) {
			wp_clear_scheduled_hook( self::EVENT );
			return;
		}
		$next = self::published( self::through() - $days * DAY_IN_SECONDS, null, 1 );
		if ( null === $next ) {
			// The posts could not be read (the database went away): the
			// closings wait for the next try, not for the next edit.
			self::schedule( time() + 5 * MINUTE_IN_SECONDS );
			return;
		}
		if ( empty( $next ) ) {
			wp_clear_scheduled_hook( self::EVENT );
			return;
		}
		$at = (int) Khabar_Article::closes_at( get_post( $next[0] ) );
		if ( wp_next_scheduled( self::EVENT ) !== $at + MINUTE_IN_SECONDS ) {
			self::schedule( $at + MINUTE_IN_SECONDS );
		}
	}

	/**
	 * The event: a batch of what a change of the age left to send, and the
	 * posts that closed since the last run, go to the push's waiting list
	 * (sent in the background, in batches), and the next run is planned.
	 */
	public static function run() {
		if ( ! Khabar_Push::enabled() ) {
			return; // Kept for when a token is set (plan() then).
		}
		self::send_redo();
		$days = Khabar_Article::closing_days();
		if ( null === $days ) {
			update_option( self::THROUGH, time() );
			self::plan();
			return;
		}
		$now                   = time();
		$through               = self::through();
		$age                   = $days * DAY_IN_SECONDS;
		$batch = self::batch( $through - $age, $now - $age );
		if ( null === $batch ) {
			// Nothing is marked sent that was not read: tried again in a
			// few minutes (plan() would name the overdue moment, at once).
			self::schedule( time() + 5 * MINUTE_IN_SECONDS );
			return;
		}
		list( $ids, $reached ) = $batch;
		// More may follow past a full batch: the next run goes on from the
		// moment its last post closed.
		$sent_to = null === $reached ? $now : $reached + $age;
		if ( ! empty( $ids ) ) {
			Khabar_Push::send_soon( $ids );
		}
		update_option( self::THROUGH, max( $through, $sent_to ) );
		self::plan();
	}


	/**
	 * A run's posts published after `$after` and by `$until` (see
	 * published()): BATCH of them and the rest of the last one's second,
	 * and the moment that last one was published; null for it when the
	 * batch took every post up to `$until`.
	 *
	 * @param int|null $after A Unix time: after it (null: from the first).
	 * @param int      $until A Unix time: by then.
	 * @return array{0: int[], 1: int|null}|null Null when the posts could
	 *                                           not be read.
	 */
	private static function batch( $after, $until ) {
		$ids = self::published( $after, $until, self::BATCH );
		if ( null === $ids || count( $ids ) < self::BATCH ) {
			return null === $ids ? null : array( $ids, null );
		}
		$reached = (int) strtotime( get_post( end( $ids ) )->post_date_gmt . ' UTC' );
		$rest    = self::published( $reached - 1, $reached, -1 );
		if ( null === $rest ) {
			return null;
		}
		return array( array_unique( array_merge( $ids, $rest ) ), $reached );
	}

	/**
	 * Up to `$limit` (-1: all) ids of public posts, of types Khabar pushes
	 * and WordPress closes, published after `$after` and by `$until`,
	 * oldest first.
	 *
	 * @param int|null $after A Unix time: after it (null: from the first).
	 * @param int|null $until A Unix time: by then, that second included
	 *                        (null: to the last).
	 * @param int      $limit Most ids, or -1.
	 * @return int[]|null Null when the query failed (told in the log): no
	 *                    post read is not "no post".
	 */
	private static function published( $after, $until, $limit ) {
		global $wpdb;
		$types = array_values(
			array_intersect(
				Khabar_Article::post_types(),
				Khabar_Article::closing_types()
			)
		);
		if ( empty( $types ) ) {
			return array();
		}
		// Read and ordered by the GMT date, which a batch goes on from:
		// WP_Query orders by the local one, which a change of the site's time
		// zone, or a clock put back an hour, puts in another order.
		$where  = array(
			"post_status = 'publish'",
			"post_password = ''",
			'post_type IN (' . implode( ', ', array_fill( 0, count( $types ), '%s' ) ) . ')',
		);
		$values = $types;
		if ( null !== $after ) {
			$where[]  = 'post_date_gmt > %s';
			$values[] = gmdate( 'Y-m-d H:i:s', $after );
		}
		if ( null !== $until ) {
			$where[]  = 'post_date_gmt <= %s';
			$values[] = gmdate( 'Y-m-d H:i:s', $until );
		}
		$sql = "SELECT ID FROM {$wpdb->posts} WHERE " . implode( ' AND ', $where ) . ' ORDER BY post_date_gmt, ID';
		if ( $limit > 0 ) {
			$sql     .= ' LIMIT %d';
			$values[] = $limit;
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared -- the placeholders are built above.
		$ids = $wpdb->get_col( $wpdb->prepare( $sql, $values ) );
		if ( '' !== (string) $wpdb->last_error ) {
			error_log( 'Khabar: closing comments: the posts could not be read: ' . $wpdb->last_error ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			return null;
		}
		return array_map( 'intval', $ids );
	}


	/**
	 * Up to when closings were sent (see start()).
	 *
	 * @return int A Unix time.
	 */
	private static function through() {
		return (int) get_option( self::THROUGH, time() - DAY_IN_SECONDS );
	}

	/**
	 * The event, due at `$at` (and no other).
	 *
	 * @param int $at A Unix time.
	 */
	private static function schedule( $at ) {
		wp_clear_scheduled_hook( self::EVENT );
		wp_schedule_single_event( $at, self::EVENT );
	}
}
