<?php
/**
 * Pushes posts to Khabar's publishing API as they change (docs/api.md,
 * "Publishing API"): `PUT` when a post is published or updated, `DELETE`
 * (which hides, keeping the comments) when it leaves publication: trash,
 * draft, private, password, deletion.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0
 *
 * @package Khabar
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Collects the changes of a request and sends them at its end, so that the
 * editor's own answer never waits on Khabar; failures are logged and tried
 * again later.
 */
final class Khabar_Push {

	/** Time limit of one request to Khabar, in seconds. */
	const TIMEOUT = 5;

	/** The cron event that retries failed pushes. */
	const RETRY_EVENT = 'khabar_retry_push';

	/**
	 * Post id → the stamp of the last change of it kept for sending, and
	 * under key 0 the last stamp given: stamps only grow, also for a post
	 * taken off and kept again (see forget_sent()).
	 */
	const KEPT_OPTION = 'khabar_push_kept';

	/** Delay before a retry, in seconds. */
	const RETRY_AFTER = 300;

	/**
	 * Most posts one run of the retry event sends: a run that sends every
	 * published post (the settings page's button) goes on at the next
	 * WP-Cron tick, so that no request outlives the host's time limit.
	 */
	const BATCH = 100;

	/** Seconds after which a run sends no more posts. */
	const RUN_SECONDS = 20;

	/** Failures in a row that end a run: Khabar is down, or refusing. */
	const MAX_FAILURES = 3;

	/** Sent posts taken off the waiting list in one write. */
	const FORGET_EVERY = 10;

	/**
	 * Most changes of one site a request sends itself, at its end: a bulk
	 * edit or an import hands the rest to the retry event, due at once,
	 * so that no request (nor, without PHP-FPM, its editor) waits for
	 * hundreds of pushes.
	 */
	const INLINE = 10;

	/**
	 * The option of "send every published post" under way: where its walk
	 * through the published posts, newest first, has come to. A cursor,
	 * not a list of the posts: a news site's archive of a million posts
	 * would be a list of megabytes, read and written back for each batch,
	 * and over the database's packet limit not saved at all.
	 */
	const WALK_OPTION = 'khabar_push_all';

	/** The option that keeps the posts Khabar refused, for the settings page. */
	const REFUSED_OPTION = 'khabar_push_refused';

	/** Most refused posts kept there, the newest. */
	const REFUSED_KEPT = 50;

	/**
	 * Site id → post id → 'put' or 'delete', the last change of this
	 * request. By site: on a multisite network a request may change posts
	 * of several sites (`switch_to_blog`), which number their posts alike.
	 *
	 * @var array<int, array<int, string>>
	 */
	private static $queue = array();

	/**
	 * Hooks the post changes in.
	 */
	public static function register() {
		// After the post's terms and meta (featured image) are saved.
		add_action( 'wp_after_insert_post', array( __CLASS__, 'after_save' ), 10, 4 );
		add_action( 'before_delete_post', array( __CLASS__, 'before_delete' ), 10, 2 );
		add_action( self::RETRY_EVENT, array( __CLASS__, 'retry' ) );
		// A token or an address put right: what waits goes now. An option
		// saved again after it was emptied is added, not updated, when its
		// stored value was the registered default ('').
		foreach ( array( 'khabar_publish_token', 'khabar_server_url' ) as $option ) {
			add_action( 'update_option_' . $option, array( __CLASS__, 'settings_changed' ) );
			add_action( 'add_option_' . $option, array( __CLASS__, 'settings_changed' ) );
		}
		add_action( 'admin_post_khabar_push_all', array( __CLASS__, 'push_all' ) );
		// Every post's address changes with the permalink structure: Khabar
		// finds a post's comments by its address, so every post goes again,
		// as "send every published post" sends them.
		add_action( 'permalink_structure_changed', array( __CLASS__, 'addresses_changed' ) );
		// Under %category% links, a post's address holds its category's
		// path: a category renamed, moved under another or deleted (its
		// posts go to another) moves them.
		add_action( 'edit_terms', array( __CLASS__, 'category_editing' ), 10, 2 );
		add_action( 'edited_term', array( __CLASS__, 'category_edited' ), 10, 3 );
		add_action( 'delete_category', array( __CLASS__, 'category_deleted' ), 10, 4 );
	}

	/**
	 * The permalink structure changed: every published post goes again,
	 * in the background, with its new address.
	 */
	public static function addresses_changed() {
		self::send_every_post();
	}

	/**
	 * The path of each category being edited, before the edit, by id.
	 *
	 * @var array<int, string>
	 */
	private static $category_paths = array();

	/**
	 * A term is about to change: a category's path is kept to compare.
	 *
	 * @param int    $term_id  The term.
	 * @param string $taxonomy Its taxonomy.
	 */
	public static function category_editing( $term_id, $taxonomy ) {
		if ( 'category' === $taxonomy ) {
			self::$category_paths[ (int) $term_id ] = self::category_path( (int) $term_id );
		}
	}

	/**
	 * A term changed: a category whose path changed under links that name
	 * categories sends every published post again, with its new address.
	 *
	 * @param int    $term_id  The term.
	 * @param int    $tt_id    Its term-taxonomy id.
	 * @param string $taxonomy Its taxonomy.
	 */
	public static function category_edited( $term_id, $tt_id, $taxonomy ) {
		$term_id = (int) $term_id;
		if ( 'category' !== $taxonomy || ! isset( self::$category_paths[ $term_id ] ) ) {
			return;
		}
		$before = self::$category_paths[ $term_id ];
		unset( self::$category_paths[ $term_id ] );
		if ( self::links_name_categories() && self::category_path( $term_id ) !== $before ) {
			self::send_every_post();
		}
	}

	/**
	 * A category was deleted: its posts, now in another, go again when
	 * links name categories.
	 *
	 * @param int     $term_id    The category.
	 * @param int     $tt_id      Its term-taxonomy id.
	 * @param WP_Term $deleted    The category as it was.
	 * @param int[]   $object_ids The posts it had.
	 */
	public static function category_deleted( $term_id, $tt_id, $deleted, $object_ids ) {
		if ( self::links_name_categories() && ! empty( $object_ids ) ) {
			self::send_every_post();
		}
	}

	/**
	 * A category's path as links spell it (`news/city/`), '' if none.
	 *
	 * @param int $term_id The category.
	 * @return string
	 */
	private static function category_path( $term_id ) {
		$path = get_category_parents( $term_id, false, '/', true );
		return is_wp_error( $path ) ? '' : (string) $path;
	}

	/**
	 * Whether the permalink structure puts a post's category in its address.
	 *
	 * @return bool
	 */
	private static function links_name_categories() {
		return false !== strpos( (string) get_option( 'permalink_structure' ), '%category%' );
	}

	/**
	 * Whether posts are pushed at all (a server and a token are set).
	 *
	 * @return bool
	 */
	public static function enabled() {
		return '' !== Khabar_Settings::server_url() && '' !== Khabar_Settings::publish_token();
	}

	/**
	 * Sends the posts that wait, in the background, once the token or the
	 * server's address changed: pushes refused for a wrong token, or sent
	 * to a Khabar without the publishing API, wait for that.
	 */
	public static function settings_changed() {
		if ( self::enabled() && self::waiting() > 0 ) {
			wp_clear_scheduled_hook( self::RETRY_EVENT );
			wp_schedule_single_event( time(), self::RETRY_EVENT );
		}
		// Closings by age wait while nothing is pushed.
		Khabar_Closing::plan();
	}

	/**
	 * Sends posts again in the background, as they are by then: their
	 * comments closed by age (WordPress changed nothing else on them).
	 *
	 * @param int[] $post_ids The posts' ids.
	 */
	public static function send_soon( array $post_ids ) {
		self::keep( array_fill_keys( $post_ids, 'put' ) );
		wp_clear_scheduled_hook( self::RETRY_EVENT );
		wp_schedule_single_event( time(), self::RETRY_EVENT );
	}

	/**
	 * A saved post: sent when public, hidden when it just stopped being.
	 *
	 * @param int          $post_id     The post's id.
	 * @param WP_Post      $post        The post as saved.
	 * @param bool         $update      Whether it existed before.
	 * @param WP_Post|null $post_before The post before the save.
	 */
	public static function after_save( $post_id, $post, $update, $post_before ) {
		if ( wp_is_post_revision( $post_id ) || wp_is_post_autosave( $post_id ) ) {
			return;
		}
		if ( ! self::enabled() ) {
			if ( ! Khabar_Article::is_public( $post ) && Khabar_Article::is_public( $post_before ) ) {
				self::keep_while_paused( (int) $post_id );
			}
			return;
		}
		if ( Khabar_Article::is_public( $post ) ) {
			self::queue( (int) $post_id, 'put' );
		} elseif ( Khabar_Article::is_public( $post_before ) ) {
			self::queue( (int) $post_id, 'delete' );
		}
	}

	/**
	 * A post taken down (trashed, unpublished, deleted) while pushing is
	 * paused (the token emptied): it waits, and is hidden in Khabar once a
	 * token is back, with what else waits. "Send every published post"
	 * brings back what was published meanwhile; nothing would take down
	 * what was withdrawn, a legal takedown say.
	 *
	 * @param int $post_id The post's id.
	 */
	private static function keep_while_paused( $post_id ) {
		if ( '' !== Khabar_Settings::saved_server_url() ) {
			self::keep( array( $post_id => 'delete' ) );
		}
	}

	/**
	 * A post deleted for good: hidden in Khabar (its comments stay there).
	 *
	 * @param int     $post_id The post's id.
	 * @param WP_Post $post    The post.
	 */
	public static function before_delete( $post_id, $post = null ) {
		$post = $post instanceof WP_Post ? $post : get_post( $post_id );
		if ( ! $post || ! in_array( $post->post_type, Khabar_Article::post_types(), true ) ) {
			return;
		}
		if ( ! self::enabled() ) {
			if ( Khabar_Article::is_public( $post ) || 'trash' === $post->post_status ) {
				self::keep_while_paused( (int) $post_id );
			}
			return;
		}
		self::queue( (int) $post_id, 'delete' );
	}

	/**
	 * Notes a change; the first one of a request schedules the sending.
	 *
	 * @param int    $post_id The post's id.
	 * @param string $action  'put' or 'delete'.
	 */
	private static function queue( $post_id, $action ) {
		if ( empty( self::$queue ) ) {
			add_action( 'shutdown', array( __CLASS__, 'send_queued' ) );
		}
		self::$queue[ get_current_blog_id() ][ $post_id ] = $action;
	}

	/**
	 * Sends this request's changes once its answer is complete, each site's
	 * as that site (its posts, settings and waiting list).
	 */
	public static function send_queued() {
		$queue       = self::$queue;
		self::$queue = array();
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			// PHP-FPM: the editor gets its answer now, not after Khabar's.
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		}
		if ( is_multisite() ) {
			// A site deleted during the request has nowhere to keep them.
			$queue = array_filter( $queue, 'get_site', ARRAY_FILTER_USE_KEY );
		}
		// Every site's changes are kept, with a retry due, before any is
		// sent: a request cut short (a host's time limit on a bulk edit
		// while Khabar is slow) leaves them all to the retry, which does
		// nothing when it finds nothing waiting.
		foreach ( $queue as $site => $changes ) {
			self::as_site(
				$site,
				function () use ( $changes ) {
					self::keep( $changes );
					self::plan_retry();
				}
			);
		}
		foreach ( $queue as $site => $changes ) {
			self::as_site(
				$site,
				function () use ( $changes ) {
					self::send_all( array_slice( $changes, 0, self::INLINE, true ) );
					if ( count( $changes ) > self::INLINE ) {
						self::plan_retry_now();
					}
				}
			);
		}
	}

	/**
	 * Moves the retry to now: WP-Cron runs it with the site's next request.
	 */
	private static function plan_retry_now() {
		$planned = wp_next_scheduled( self::RETRY_EVENT );
		if ( false !== $planned && $planned <= time() ) {
			return;
		}
		if ( false !== $planned ) {
			wp_unschedule_event( $planned, self::RETRY_EVENT );
		}
		wp_schedule_single_event( time(), self::RETRY_EVENT );
	}

	/**
	 * Plans a retry in RETRY_AFTER seconds, unless one is planned.
	 */
	private static function plan_retry() {
		if ( ! wp_next_scheduled( self::RETRY_EVENT ) ) {
			wp_schedule_single_event( time() + self::RETRY_AFTER, self::RETRY_EVENT );
		}
	}

	/**
	 * Runs `$run` as site `$site` of a multisite network (its options, posts
	 * and events), as the request's own site otherwise.
	 *
	 * @param int      $site The site's id.
	 * @param callable $run  What to run.
	 */
	private static function as_site( $site, callable $run ) {
		$switched = is_multisite() && get_current_blog_id() !== $site;
		if ( $switched ) {
			switch_to_blog( $site );
		}
		try {
			$run();
		} finally {
			if ( $switched ) {
				restore_current_blog();
			}
		}
	}

	/**
	 * Sends what waits (failed pushes, or every post after the settings
	 * page's button), each as it is now, until BATCH posts or RUN_SECONDS.
	 * A post Khabar may take later goes to the back of the list, so that
	 * one bad post holds nobody up; MAX_FAILURES in a row end the run, and
	 * the next comes in RETRY_AFTER seconds. Otherwise what is left goes at
	 * the next WP-Cron tick.
	 */
	public static function retry() {
		if ( ! self::enabled() ) {
			return;
		}
		/**
		 * Filters how many waiting posts one run sends (a slow host may
		 * want fewer).
		 *
		 * @param int $size BATCH.
		 */
		$size     = max( 1, (int) apply_filters( 'khabar_push_batch', self::BATCH ) );
		$until    = time() + self::RUN_SECONDS;
		$tried    = array();
		$sent     = array();
		$failures = 0;
		// The list as the run starts (read once: changes made meanwhile go
		// at the next run), and the walk's next posts.
		$list  = array_keys( self::pending() );
		$walk  = self::walk();
		$ahead = array();
		$last  = false;
		while ( count( $tried ) < $size && time() < $until && $failures < self::MAX_FAILURES ) {
			$next = self::next_in( $list, $tried, $walk ? $walk['after'] : array() );
			if ( null === $next && $walk ) {
				if ( empty( $ahead ) ) {
					// One more than the run can send: a page that comes
					// short is the walk's last.
					$want  = $size - count( $tried ) + 1;
					$ahead = self::walk_page( $walk, $want );
					if ( null === $ahead ) {
						// The database failed: the walk stays where it is,
						// for the run after RETRY_AFTER.
						$ahead    = array();
						$failures = self::MAX_FAILURES;
						break;
					}
					$last = count( $ahead ) < $want;
				}
				$step = array_shift( $ahead );
				if ( null === $step ) {
					self::end_walk( $walk );
					$walk = null;
				} else {
					$walk['at'] = $step;
					$next       = (int) $step[1];
				}
			}
			// Then what failed while the walk went on.
			$next = $next ?? self::next_in( $list, $tried, array() );
			if ( null === $next ) {
				break;
			}
			$tried[ $next ] = true;
			// Read before the post: a change kept after it is newer than
			// what goes now, and stays on the list (forget_sent()).
			$seen           = (int) ( self::kept()[ $next ] ?? 0 );
			$post           = get_post( $next );
			$action         = Khabar_Article::is_public( $post ) ? 'put' : 'delete';
			if ( 'retry' === self::send( $next, $action, $post ) ) {
				++$failures;
				self::to_back( $next, $action );
				if ( $walk ) {
					// Behind the rest of the walk: one post Khabar cannot
					// take holds no other up, however many runs it fails.
					$walk['after'][] = $next;
					self::save_walk( $walk );
				}
				continue;
			}
			$failures      = 0;
			$sent[ $next ] = $seen;
			if ( count( $sent ) >= self::FORGET_EVERY ) {
				self::forget_sent( $sent );
				$sent = array();
				if ( $walk ) {
					self::save_walk( $walk );
				}
			}
		}
		self::forget_sent( $sent );
		if ( $walk && empty( $ahead ) && $last ) {
			self::end_walk( $walk );
		} elseif ( $walk ) {
			self::save_walk( $walk );
		}
		$left = self::pending();
		$walk = self::walk();
		if ( ( empty( $left ) && ! $walk ) || wp_next_scheduled( self::RETRY_EVENT ) ) {
			return;
		}
		// Posts this run never reached go at the next tick; only failures
		// left, or a Khabar that failed MAX_FAILURES times, wait.
		$unreached = array_diff_key( $left, $tried );
		$soon      = $failures < self::MAX_FAILURES && ( ! empty( $unreached ) || $walk );
		wp_schedule_single_event( $soon ? time() : time() + self::RETRY_AFTER, self::RETRY_EVENT );
	}

	/**
	 * The first post of `$list` neither tried in this run nor put off
	 * until the walk ends.
	 *
	 * @param int[]             $list  Post ids, in the list's order.
	 * @param array<int, true>  $tried The run's posts so far.
	 * @param int[]             $after Posts put off.
	 * @return int|null
	 */
	private static function next_in( array $list, array $tried, array $after ) {
		$after = array_flip( $after );
		foreach ( $list as $post_id ) {
			if ( ! isset( $tried[ $post_id ] ) && ! isset( $after[ $post_id ] ) ) {
				return (int) $post_id;
			}
		}
		return null;
	}

	/**
	 * The walk of "send every published post" under way, if one is: `at`,
	 * the last post handed over ([post_date, ID], or null before the
	 * first), `after`, the posts that failed meanwhile, and `started`, what
	 * tells this walk from a later one.
	 *
	 * @return array|null
	 */
	private static function walk() {
		wp_cache_delete( self::WALK_OPTION, 'options' );
		$walk = get_option( self::WALK_OPTION, null );
		if ( ! is_array( $walk ) || ! isset( $walk['started'] ) ) {
			return null;
		}
		$walk['at']    = isset( $walk['at'] ) && is_array( $walk['at'] ) ? $walk['at'] : null;
		$walk['after'] = isset( $walk['after'] ) && is_array( $walk['after'] ) ? array_map( 'intval', $walk['after'] ) : array();
		return $walk;
	}

	/**
	 * The next `$count` published posts of the walk, newest first, as
	 * [post_date, ID]: a page of the posts table by the walk's cursor.
	 *
	 * @param array $walk  The walk.
	 * @param int   $count How many.
	 * @return array<int, array{0: string, 1: int}>|null Null when the
	 *     database failed (no page is not the walk's end then).
	 */
	private static function walk_page( array $walk, $count ) {
		global $wpdb;
		list( $where, $args ) = self::walk_rest( $walk );
		$args[]               = max( 1, (int) $count );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- placeholders built by walk_rest.
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT post_date, ID FROM {$wpdb->posts} WHERE $where ORDER BY post_date DESC, ID DESC LIMIT %d", $args ), ARRAY_N );
		if ( ! is_array( $rows ) || '' !== (string) $wpdb->last_error ) {
			error_log( 'Khabar: sending every published post: the posts could not be read: ' . $wpdb->last_error ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
			return null;
		}
		return array_map(
			function ( $row ) {
				return array( (string) $row[0], (int) $row[1] );
			},
			(array) $rows
		);
	}

	/**
	 * The number of posts the walk has still to hand over.
	 *
	 * @param array $walk The walk.
	 * @return int
	 */
	private static function walk_left( array $walk ) {
		global $wpdb;
		list( $where, $args ) = self::walk_rest( $walk );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- placeholders built by walk_rest.
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE $where", $args ) );
	}

	/**
	 * The condition on the posts table (with its placeholders' values) of
	 * the posts the walk has still to hand over: those Khabar has
	 * (Khabar_Article::is_public), past its cursor.
	 *
	 * @param array $walk The walk.
	 * @return array{0: string, 1: array}
	 */
	private static function walk_rest( array $walk ) {
		$types = Khabar_Article::post_types();
		$args  = empty( $types ) ? array( '' ) : array_values( $types );
		$where = 'post_type IN (' . implode( ', ', array_fill( 0, count( $args ), '%s' ) ) . ") AND post_status = 'publish' AND post_password = ''";
		if ( $walk['at'] ) {
			$where .= ' AND ( post_date < %s OR ( post_date = %s AND ID < %d ) )';
			array_push( $args, $walk['at'][0], $walk['at'][0], (int) $walk['at'][1] );
		}
		return array( $where, $args );
	}

	/**
	 * Stores how far the walk has come, unless another run took it further
	 * meanwhile (WP-Cron's and a request's at once), or a new walk began.
	 *
	 * @param array $walk The walk.
	 */
	private static function save_walk( array $walk ) {
		self::locked(
			function () use ( $walk ) {
				$now = self::walk();
				if ( ! $now || $now['started'] !== $walk['started'] ) {
					return;
				}
				$at    = $walk['at'];
				$there = $now['at'];
				if ( $there && ( ! $at || $there[0] < $at[0] || ( $there[0] === $at[0] && $there[1] < $at[1] ) ) ) {
					$at = $there; // further on already
				}
				$after = array_values( array_unique( array_merge( $now['after'], $walk['after'] ) ) );
				update_option( self::WALK_OPTION, array_merge( $now, compact( 'at', 'after' ) ), false );
			}
		);
	}

	/**
	 * Ends the walk: every post was handed over. What failed stays on the
	 * waiting list, as any failure does.
	 *
	 * @param array $walk The walk.
	 */
	private static function end_walk( array $walk ) {
		self::locked(
			function () use ( $walk ) {
				$now = self::walk();
				if ( $now && $now['started'] === $walk['started'] ) {
					delete_option( self::WALK_OPTION );
				}
			}
		);
	}

	/**
	 * What waits to be sent, read from the database (not the request's
	 * cache: a push at the end of an editor's request may have added some).
	 *
	 * @return array<int, string> Post id → 'put' or 'delete'.
	 */
	private static function pending() {
		wp_cache_delete( 'khabar_push_retry', 'options' );
		$pending = get_option( 'khabar_push_retry', array() );
		return is_array( $pending ) ? $pending : array();
	}

	/**
	 * Moves a post that failed to the back of the waiting list (a post the
	 * walk handed over joins it there).
	 *
	 * @param int    $post_id The post's id.
	 * @param string $action  'put' or 'delete', what failed.
	 */
	private static function to_back( $post_id, $action ) {
		self::change_pending(
			function ( $pending ) use ( $post_id, $action ) {
				$action = $pending[ $post_id ] ?? $action;
				unset( $pending[ $post_id ] );
				$pending[ $post_id ] = $action;
				return $pending;
			}
		);
	}

	/**
	 * Changes the waiting list with `$change` (the list → the list to
	 * store), one request at a time. Editors' requests and WP-Cron's runs
	 * each read the list, change it and write it back, and two at once
	 * would lose one's change (a post that would then never be sent). A
	 * named lock of the database (GET_LOCK, which MySQL and MariaDB free
	 * with the connection if PHP dies) keeps them apart; without it (not
	 * had within 5 s, or a database without named locks) the list is
	 * changed all the same, as an unlocked write would.
	 *
	 * @param callable $change array<int, string> → array<int, string>.
	 */
	private static function change_pending( callable $change ) {
		self::locked(
			function () use ( $change ) {
				$pending = self::pending();
				$changed = $change( $pending );
				if ( $changed !== $pending ) {
					update_option( 'khabar_push_retry', $changed, false );
				}
			}
		);
	}

	/**
	 * Runs `$run` under the site's lock of its waiting list and walk (see
	 * change_pending).
	 *
	 * @param callable $run What to run.
	 */
	private static function locked( callable $run ) {
		global $wpdb;
		// Lock names are the database server's: one per site's options table.
		$name = 'khabar_push:' . md5( DB_NAME . '|' . $wpdb->options );
		// Quiet only for the lock: a database without it answers an error.
		$quiet  = $wpdb->suppress_errors( true );
		$locked = '1' === (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 5)', $name ) );
		$wpdb->suppress_errors( $quiet );
		try {
			$run();
		} finally {
			// Also when another plugin's option hook throws.
			if ( $locked ) {
				$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $name ) );
			}
		}
	}

	/**
	 * The number of posts waiting to be sent.
	 *
	 * @return int
	 */
	public static function waiting() {
		$walk = self::walk();
		// A post edited while the walk has still to reach it counts twice:
		// one query, not one per post.
		return count( self::pending() ) + ( $walk ? self::walk_left( $walk ) : 0 );
	}

	/**
	 * The settings page's "send every published post": for a site that had
	 * posts before the plugin was set up. Starts a walk through them,
	 * newest first, sent in the background (WP-Cron, BATCH posts a run,
	 * after the posts on the waiting list).
	 */
	public static function push_all() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'khabar' ), 403 );
		}
		check_admin_referer( 'khabar_push_all' );
		$queued = self::send_every_post();
		wp_safe_redirect(
			add_query_arg(
				array(
					'page'          => Khabar_Settings::PAGE,
					'khabar-queued' => $queued,
				),
				admin_url( 'options-general.php' )
			)
		);
		exit;
	}

	/**
	 * Starts the walk through every published post, newest first, sent in
	 * the background (a walk under way starts again from the newest).
	 *
	 * @return int How many posts it has to send.
	 */
	private static function send_every_post() {
		if ( ! self::enabled() ) {
			return 0;
		}
		$walk   = array(
			'started' => uniqid( '', true ),
			'at'      => null,
			'after'   => array(),
		);
		$queued = self::walk_left( $walk );
		if ( $queued > 0 ) {
			self::locked(
				function () use ( $walk ) {
					update_option( self::WALK_OPTION, $walk, false );
				}
			);
			wp_clear_scheduled_hook( self::RETRY_EVENT );
			wp_schedule_single_event( time(), self::RETRY_EVENT );
			spawn_cron();
		}
		return $queued;
	}

	/**
	 * Sends a request's changes (kept for a retry beforehand, see
	 * send_queued), each as the post is now; each that went is taken off
	 * the waiting list, the others go at the retry. The first change Khabar
	 * may take later (it is down, say) ends the sending: the rest would
	 * wait for the same.
	 *
	 * @param array<int, string> $changes Post id → 'put' or 'delete'.
	 */
	private static function send_all( array $changes ) {
		foreach ( array_keys( $changes ) as $post_id ) {
			// Read before the post, as a retry run does (forget_sent()).
			$seen = (int) ( self::kept()[ $post_id ] ?? 0 );
			$post = get_post( (int) $post_id );
			// Whatever was queued, or failed, before: a trashed post
			// restored since goes as a PUT, a published one trashed since as
			// a DELETE.
			$action = Khabar_Article::is_public( $post ) ? 'put' : 'delete';
			if ( 'retry' === self::send( (int) $post_id, $action, $post ) ) {
				self::plan_retry();
				return;
			}
			self::forget_sent( array( (int) $post_id => $seen ) );
		}
	}

	/**
	 * Adds posts to those waiting for a retry.
	 *
	 * @param array<int, string> $changes Post id → 'put' or 'delete'.
	 */
	private static function keep( array $changes ) {
		self::locked(
			function () use ( $changes ) {
				$kept    = self::kept();
				$kept[0] = ( $kept[0] ?? 0 ) + 1;
				foreach ( array_keys( $changes ) as $post_id ) {
					$kept[ $post_id ] = $kept[0];
				}
				update_option( 'khabar_push_retry', array_replace( self::pending(), $changes ), false );
				update_option( self::KEPT_OPTION, $kept, false );
			}
		);
	}

	/**
	 * The stamp of each waiting post's last change (KEPT_OPTION), read from
	 * the database as pending() is.
	 *
	 * @return array<int, int>
	 */
	private static function kept() {
		wp_cache_delete( self::KEPT_OPTION, 'options' );
		$kept = get_option( self::KEPT_OPTION, array() );
		return is_array( $kept ) ? $kept : array();
	}

	/**
	 * Takes the posts a run sent off the waiting list, each only if no
	 * change of it was kept since the run read its stamp (`$sent`: post id
	 * → that stamp, 0 for none): an editor who trashed a post the run had
	 * just sent queued a DELETE that must still go.
	 *
	 * @param array<int, int> $sent Post id → its kept() stamp before it was sent.
	 */
	private static function forget_sent( array $sent ) {
		if ( empty( $sent ) ) {
			return;
		}
		self::locked(
			function () use ( $sent ) {
				$pending = self::pending();
				$kept    = self::kept();
				foreach ( $sent as $post_id => $seen ) {
					if ( (int) ( $kept[ $post_id ] ?? 0 ) === (int) $seen ) {
						unset( $pending[ $post_id ], $kept[ $post_id ] );
					}
				}
				update_option( 'khabar_push_retry', $pending, false );
				update_option( self::KEPT_OPTION, $kept, false );
			}
		);
	}

	/**
	 * Takes posts off those waiting for a retry: they went, or never will.
	 *
	 * @param int[] $post_ids The posts' ids.
	 */
	private static function forget( array $post_ids ) {
		if ( empty( $post_ids ) ) {
			return;
		}
		self::locked(
			function () use ( $post_ids ) {
				$gone = array_flip( array_filter( array_map( 'intval', $post_ids ) ) );
				update_option( 'khabar_push_retry', array_diff_key( self::pending(), $gone ), false );
				update_option( self::KEPT_OPTION, array_diff_key( self::kept(), $gone ), false );
			}
		);
	}

	/**
	 * One request to the publishing API: 'ok' when Khabar took it, 'retry'
	 * when it may take it later (unreachable, 408, 429, 5xx; a token it
	 * refuses, 401 or 403; a Khabar without the publishing API, whose routes
	 * answer 404), 'refused' when sending the same again cannot help (another
	 * 4xx: the post itself, logged).
	 *
	 * @param int          $post_id The post's id.
	 * @param string       $action  'put' or 'delete'.
	 * @param WP_Post|null $post    The post, for 'put'.
	 * @param bool         $check   Whether to look at the post again after a PUT.
	 * @return string
	 */
	private static function send( $post_id, $action, $post, $check = true ) {
		if ( ! Khabar_Ids::choose() ) {
			self::record( false, 'post ' . (int) $post_id . ': could not ask Khabar which ids this site\'s articles have' );
			return 'retry';
		}
		$id   = Khabar_Article::id( $post_id );
		$args = array(
			'method'      => 'put' === $action ? 'PUT' : 'DELETE',
			'timeout'     => self::TIMEOUT,
			'headers'     => array( 'Authorization' => 'Bearer ' . Khabar_Settings::publish_token() ),
			// Not followed: WordPress turns a DELETE redirected by a 302 or a
			// 303 into a GET (a takedown lost), and would take the token to
			// another host.
			'redirection' => 0,
		);
		if ( 'put' === $action ) {
			try {
				$article = Khabar_Article::from_post( $post );
			} catch ( Throwable $e ) {
				// Another plugin's shortcode or block failed while the post
				// was rendered: sending it again would fail the same way, and
				// must not hold up the posts behind it. Saved again once
				// fixed, it goes.
				self::record( false, 'PUT ' . $id . ': ' . $e->getMessage() );
				self::refused( $post_id, $e->getMessage() );
				return 'refused';
			}
			$args['headers']['Content-Type'] = 'application/json';
			// Letters as UTF-8, not `\uXXXX` (six bytes for an Arabic
			// letter's two): a long report stays within the API's 2 MiB.
			$args['body'] = wp_json_encode( $article, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES );
		}
		$url      = Khabar_Settings::server_url() . '/api/v1/admin/articles/' . rawurlencode( $id );
		$response = wp_remote_request( $url, $args );
		$what     = $args['method'] . ' ' . $id;
		if ( is_wp_error( $response ) ) {
			self::record( false, $what . ': ' . $response->get_error_message() );
			return 'retry';
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$body = (string) wp_remote_retrieve_body( $response );
		if ( $code >= 300 && $code < 400 ) {
			// The server's address moved (http to https, another host):
			// the change waits for the address to be put right.
			$to = wp_remote_retrieve_header( $response, 'location' );
			$to = is_array( $to ) ? (string) end( $to ) : (string) $to;
			self::record( false, $what . ': HTTP ' . $code . ' to ' . $to . ' (set the Khabar server\'s address to the one it answers at)' );
			return 'retry';
		}
		// Hiding what Khabar never had is no failure; a 404 of the API
		// itself (started without --publish-token) is.
		$answer = json_decode( $body, true );
		$never  = 404 === $code && is_array( $answer ) && isset( $answer['error']['message'] )
			&& 'article not found' === $answer['error']['message'];
		if ( ( $code >= 200 && $code < 300 ) || ( 'DELETE' === $args['method'] && $never ) ) {
			self::record( true, $what . ': ' . $code );
			self::refused( $post_id, null );
			if ( 'put' === $action ) {
				Khabar_Closing::took( $post );
				if ( $check ) {
					return self::after_put( (int) $post_id, $post );
				}
			}
			return 'ok';
		}
		self::record( false, $what . ': HTTP ' . $code . ' ' . mb_substr( $body, 0, 300 ) );
		$later = $code >= 500 || in_array( $code, array( 401, 403, 404, 408, 429 ), true );
		if ( ! $later ) {
			self::refused( $post_id, 'HTTP ' . $code . ' ' . mb_substr( $body, 0, 300 ) );
		}
		return $later ? 'retry' : 'refused';
	}

	/**
	 * Looks at a post again once its PUT went: trashed, unpublished or
	 * edited by another request meanwhile (whose own change may have
	 * reached Khabar first), it goes again as it is now, so that the older
	 * state never stays in Khabar (a post taken down shown again).
	 *
	 * @param int     $post_id The post's id.
	 * @param WP_Post $sent    The post as sent.
	 * @return string What sending it again gave ('ok' when nothing changed).
	 */
	private static function after_put( $post_id, $sent ) {
		// From the database, not this request's copies of the post, its
		// fields and its terms (each entry alone: clean_post_cache() would
		// also purge page caches).
		wp_cache_delete( $post_id, 'posts' );
		wp_cache_delete( $post_id, 'post_meta' );
		foreach ( get_object_taxonomies( $sent->post_type ) as $taxonomy ) {
			wp_cache_delete( $post_id, $taxonomy . '_relationships' );
		}
		$now = get_post( $post_id );
		if ( ! Khabar_Article::is_public( $now ) ) {
			return self::send( $post_id, 'delete', $now, false );
		}
		if ( $now->post_modified_gmt !== $sent->post_modified_gmt ) {
			return self::send( $post_id, 'put', $now, false );
		}
		return 'ok';
	}

	/**
	 * Keeps (or, with `$why` null, forgets) a post Khabar refused, for the
	 * settings page: "Last push" says only the newest push, and a refused
	 * post is not tried again until it is saved again.
	 *
	 * @param int         $post_id The post's id.
	 * @param string|null $why     What Khabar answered; null: it took the post.
	 */
	private static function refused( $post_id, $why ) {
		$kept    = get_option( self::REFUSED_OPTION, array() );
		$kept    = is_array( $kept ) ? $kept : array();
		$post_id = (int) $post_id;
		if ( null === $why ) {
			if ( ! isset( $kept[ $post_id ] ) ) {
				return;
			}
			unset( $kept[ $post_id ] );
		} else {
			unset( $kept[ $post_id ] );
			$kept[ $post_id ] = array(
				'time'    => time(),
				'message' => (string) $why,
			);
			$kept = array_slice( $kept, -self::REFUSED_KEPT, null, true );
		}
		if ( array() === $kept ) {
			delete_option( self::REFUSED_OPTION );
		} else {
			update_option( self::REFUSED_OPTION, $kept, false );
		}
	}

	/**
	 * The posts Khabar refused, newest first: post id → time and answer.
	 *
	 * @return array<int, array{time: int, message: string}>
	 */
	public static function refused_posts() {
		$kept = get_option( self::REFUSED_OPTION, array() );
		return is_array( $kept ) ? array_reverse( $kept, true ) : array();
	}

	/**
	 * Keeps the outcome for the settings page; failures also go to PHP's log.
	 *
	 * @param bool   $ok      Whether Khabar took the change.
	 * @param string $message What was sent and what came back.
	 * @return bool `$ok`.
	 */
	private static function record( $ok, $message ) {
		if ( ! $ok ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site's log is where operators look.
			error_log( 'Khabar: push failed: ' . $message );
		}
		update_option(
			'khabar_push_status',
			array(
				'time'    => time(),
				'ok'      => $ok,
				'message' => $message,
			),
			false
		);
		return $ok;
	}
}
