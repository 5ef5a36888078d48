/* The daemon's durable local state (SQLite): every Neutron port this host
 * owns, its pool, its state and which container holds it.  Neutron is the
 * truth for a port's existence; this store is the truth for who holds what
 * on this host, so that a restart, a SIGKILL at any moment or a repeated
 * DEL never leaks a port or gives one to two containers.  docs/state.md
 * has the schema, the state diagram and the durability reasoning.
 *
 * Conventions: every function returns 0 (or a count) on success and a
 * negative errno on failure, and is one transaction.  Errors common to all:
 *   -EINVAL  a required argument is NULL or empty, or a transition that the
 *            state diagram forbids
 *   -ENOENT  nothing matched
 *   -ESTALE  compare-and-set lost: the row changed meanwhile
 *   -EEXIST  conflict with an existing row (port id, or holder)
 *   -EBUSY   another process held the database past the busy timeout
 *   -EIO, -ENOSPC, -ENOMEM, -EBADMSG (corruption): the database failed
 * Output parameters are written only on success, with the one documented
 * exception of the claims' -EEXIST.  A struct store is safe to share between
 * threads: one connection behind a mutex. */
#ifndef SF_STORE_STORE_H
#define SF_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

enum store_port_state {
	STORE_PORT_WIRING,    /* created in Neutron; host side being wired, not yet ACTIVE */
	STORE_PORT_READY,     /* wired and ACTIVE: may be claimed */
	STORE_PORT_IN_USE,    /* held by (container_id, ifname) */
	STORE_PORT_COOLDOWN,  /* released; ready again once cooldown_until passes */
	STORE_PORT_DELETING,  /* to be deleted in Neutron; the row goes when it confirms */
	STORE_PORT_STATE_COUNT,
};

/* "wiring", "ready", "in_use", "cooldown", "deleting" (the strings stored in
 * the database); NULL for a value out of range. */
const char *store_port_state_to_string(enum store_port_state state);
/* -EINVAL for anything but the five strings above. */
int store_port_state_from_string(const char *s, enum store_port_state *ret) MUST_CHECK;

/* One row.  Every string is owned by the struct (free with store_port_done);
 * the optional ones are NULL when unset. */
struct store_port {
	char *port_id;           /* Neutron UUID, primary key */
	char *pool;              /* the pool's key, opaque to the store */
	char *network_id;
	char *subnet_id;         /* optional */
	char *mac;
	char *info;              /* optional JSON text kept for the daemon, never parsed here */
	enum store_port_state state;
	char *container_id;      /* the holder: set exactly when state is IN_USE */
	char *ifname;
	char *netns;             /* optional even when IN_USE */
	char *last_container_id; /* the previous holder, for diagnostics only */
	char *last_ifname;
	char *last_netns;
	int64_t created_at;      /* unix ms (wall clock) */
	int64_t updated_at;      /* unix ms of the last change to the row */
	int64_t cooldown_until;  /* unix ms; meaningful in COOLDOWN only */
	bool synced;             /* Neutron's device_id/name reflect the holder (or its absence) */
	int attempts;            /* failed tries of off-path work since the last state change */
	int64_t generation;      /* bumped on every change of state or holder (see store_mark_synced) */
};

/* Frees the strings and zeroes *p.  NULL-safe, and safe on a zeroed struct. */
void store_port_done(struct store_port *p);

/* A result set; free with store_port_list_free (NULL-safe). */
struct store_port_list {
	size_t n;
	struct store_port *ports;
};
void store_port_list_free(struct store_port_list *l);

struct store;

struct store_options {
	/* synchronous=FULL: every commit is fsynced.  The default, NORMAL in WAL
	 * mode, survives a crash of the process (the threat this store is made
	 * for) but a power loss may roll back the last commits; see
	 * docs/state.md. */
	bool sync_full;
	int busy_timeout_ms;  /* 0 means 5000 */
};

/* Opens the store at path, creating the file (mode 0600; its directory must
 * exist) and the schema, or migrating an older schema.  The caller frees
 * *ret with store_free().  Besides the errors above:
 *   -EBADMSG          the file is not a superfluid store, or it is corrupt
 *                     (quick_check failed)
 *   -EPROTONOSUPPORT  the file was written by a newer superfluid (its schema
 *                     version is above STORE_SCHEMA_VERSION)
 *   -ELOOP            path is a symbolic link
 *   -ENOTSUP          SQLite could not switch to WAL mode on this file system */
int store_open(const char *path, struct store **ret) MUST_CHECK;
int store_open_with(const char *path, const struct store_options *opts,
		    struct store **ret) MUST_CHECK;
void store_free(struct store *s);

#define STORE_SCHEMA_VERSION 3

/* The clock of created_at, updated_at, cooldown_until and the services'
 * until: unix ms, but the wall clock only as read at the process's first
 * call, carried forward by CLOCK_MONOTONIC, so that a later step of the wall
 * clock changes no cool-down or timeout (docs/state.md, "Times"). */
int64_t store_clock_ms(void);

/* Whether the file takes writes.  A statement that fails for the file's
 * sake (-ENOSPC: the disk is full; -EIO; -EROFS) counts and marks the
 * store failing; the next committed write clears it. */
struct store_health {
	bool failing;            /* the last write failed */
	int last_error;          /* its -errno, 0 when none yet */
	uint64_t no_space;       /* failed statements: -ENOSPC */
	uint64_t io;             /* ... -EIO, -EROFS */
};
void store_health(struct store *s, struct store_health *ret);
/* One small write (PRAGMA user_version, one WAL frame): finds out whether
 * the file takes writes again, and clears the failing mark if it does. */
int store_probe_write(struct store *s) MUST_CHECK;

/* PRAGMA integrity_check: 0, or -EBADMSG with the first problem logged at
 * debug level.  Slow on a big file; for `sfctl doctor`, not the hot path. */
int store_check_integrity(struct store *s) MUST_CHECK;

/* Records a port that Neutron just created.  Reads port_id, pool,
 * network_id, mac (required), subnet_id, info (optional), state (WIRING or
 * READY, else -EINVAL) and synced; the store sets the rest.  -EEXIST when
 * the port id is already recorded. */
int store_insert(struct store *s, const struct store_port *p) MUST_CHECK;

/* Compare-and-set of a port's state.  -ENOENT when the port is unknown,
 * -ESTALE when its state is not `from`, -EINVAL when the diagram forbids
 * from -> to.  Allowed: WIRING -> READY | DELETING; READY -> WIRING |
 * DELETING; IN_USE -> DELETING (the holder moves to last_*); COOLDOWN ->
 * READY | WIRING | DELETING.  Nothing enters IN_USE or leaves DELETING
 * here: claims and releases do the one, store_delete the other.  Resets
 * attempts. */
int store_set_state(struct store *s, const char *port_id, enum store_port_state from,
		    enum store_port_state to) MUST_CHECK;

/* The hot path of CNI ADD.  Atomically takes the pool's READY port that has
 * been ready longest and marks it IN_USE by (container_id, ifname, netns;
 * netns may be NULL), unsynced.  On success *ret (the claimed row) belongs
 * to the caller (store_port_done).
 *   -ENOENT  the pool has no READY port
 *   -EEXIST  (container_id, ifname) already holds a port: that row is in
 *            *ret (the exception to "ret only on success") so that a repeated
 *            ADD can be answered with it; the caller frees it.
 * ret may be NULL when the caller does not want the row. */
int store_claim(struct store *s, const char *pool, const char *container_id,
		const char *ifname, const char *netns, struct store_port *ret) MUST_CHECK;

/* Claims one given port, WIRING or READY (the daemon made it on demand
 * because the pool was empty).  -ENOENT when the port is unknown, -ESTALE
 * when it is in another state, -EEXIST as for store_claim. */
int store_claim_port(struct store *s, const char *port_id, const char *container_id,
		     const char *ifname, const char *netns, struct store_port *ret) MUST_CHECK;

/* The port held by (container_id, ifname); -ENOENT when none. */
int store_find_holder(struct store *s, const char *container_id, const char *ifname,
		      struct store_port *ret) MUST_CHECK;
/* Every port held by container_id (any ifname), oldest claim first;
 * -ENOENT when none.  Free *ret with store_port_list_free. */
int store_find_container(struct store *s, const char *container_id,
			 struct store_port_list **ret) MUST_CHECK;
/* One port by id, whatever its state; -ENOENT when unknown. */
int store_get(struct store *s, const char *port_id, struct store_port *ret) MUST_CHECK;

/* CNI DEL: the port held by (container_id, ifname) goes IN_USE -> COOLDOWN
 * until cooldown_until_ms (unix ms); the holder moves to last_* and the row
 * becomes unsynced.  -ENOENT when the holder holds nothing (making DEL
 * idempotent is the daemon's job).  ret (may be NULL) gets the row after the
 * release. */
int store_release(struct store *s, const char *container_id, const char *ifname,
		  int64_t cooldown_until_ms, struct store_port *ret) MUST_CHECK;

/* COOLDOWN ports whose cooldown_until <= now_ms become READY.  Returns how
 * many (>= 0). */
int store_expire_cooldowns(struct store *s, int64_t now_ms) MUST_CHECK;

/* Marks the port synced if its generation is still `generation` (the one
 * read before the Neutron update was sent): -ESTALE when the holder or the
 * state changed since, so the worker must sync again.  -ENOENT when the port
 * is unknown.  Resets attempts. */
int store_mark_synced(struct store *s, const char *port_id, int64_t generation) MUST_CHECK;
int store_mark_unsynced(struct store *s, const char *port_id) MUST_CHECK;
/* Unsynced ports in WIRING, READY, IN_USE or COOLDOWN, least recently
 * updated first: IN_USE ones need Neutron to show their holder, the others
 * need the previous holder cleared.  An empty list is not an error. */
int store_list_unsynced(struct store *s, struct store_port_list **ret) MUST_CHECK;

/* Counts a failed try of off-path work on the port; returns the new count
 * (>= 1). */
int store_note_attempt(struct store *s, const char *port_id) MUST_CHECK;
/* Replaces the port's info (NULL clears it). */
int store_set_info(struct store *s, const char *port_id, const char *info) MUST_CHECK;

/* Ports, filtered by pool (NULL: all) and state (negative: all), by pool
 * then creation.  An empty list is not an error. */
int store_list(struct store *s, const char *pool, int state,
	       struct store_port_list **ret) MUST_CHECK;

/* Deletes the row if the port is in state `expected` (-ESTALE otherwise,
 * -ENOENT when unknown).  For DELETING once Neutron confirms, or for a port
 * the reconciler found missing in Neutron. */
int store_delete(struct store *s, const char *port_id,
		 enum store_port_state expected) MUST_CHECK;

/* How many ports each pool has in each state, from one query. */
struct store_pool_count {
	char *pool;
	unsigned n[STORE_PORT_STATE_COUNT];
};
struct store_counts {
	size_t n;                       /* pools, sorted by key */
	struct store_pool_count *pools;
};
int store_count(struct store *s, struct store_counts **ret) MUST_CHECK;
void store_counts_free(struct store_counts *c);

#endif
