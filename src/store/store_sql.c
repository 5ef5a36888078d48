/* The store's SQL: the schema's migrations and every statement it runs. */
#include "store/store_internal.h"

/* Version 1.  The CHECKs make an impossible row impossible to write: a
 * holder exactly when IN_USE, and at most one IN_USE port per (container,
 * ifname) through the partial unique index.  Timestamps are unix ms. */
static const char schema_v1[] =
	"CREATE TABLE ports ("
	" port_id TEXT PRIMARY KEY NOT NULL CHECK (length(port_id) > 0),"
	" pool TEXT NOT NULL CHECK (length(pool) > 0),"
	" network_id TEXT NOT NULL CHECK (length(network_id) > 0),"
	" subnet_id TEXT,"
	" mac TEXT NOT NULL CHECK (length(mac) > 0),"
	" info TEXT,"
	" state TEXT NOT NULL"
	"  CHECK (state IN ('wiring', 'ready', 'in_use', 'cooldown', 'deleting')),"
	" container_id TEXT CHECK (length(container_id) > 0),"
	" ifname TEXT CHECK (length(ifname) > 0),"
	" netns TEXT,"
	" last_container_id TEXT,"
	" last_ifname TEXT,"
	" last_netns TEXT,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" cooldown_until INTEGER NOT NULL DEFAULT 0,"
	" synced INTEGER NOT NULL DEFAULT 0 CHECK (synced IN (0, 1)),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" generation INTEGER NOT NULL DEFAULT 1,"
	" CHECK ((state = 'in_use') = (container_id IS NOT NULL)),"
	" CHECK ((container_id IS NULL) = (ifname IS NULL)),"
	" CHECK (container_id IS NOT NULL OR netns IS NULL)"
	") STRICT;"
	"CREATE UNIQUE INDEX ports_holder ON ports (container_id, ifname)"
	" WHERE state = 'in_use';"
	/* The claim's lookup: the pool's READY ports, longest ready first. */
	"CREATE INDEX ports_pool_state ON ports (pool, state, updated_at);"
	"CREATE INDEX ports_cooldown ON ports (cooldown_until) WHERE state = 'cooldown';"
	"CREATE INDEX ports_unsynced ON ports (updated_at) WHERE synced = 0;";

/* Version 2: the services this host's instances belong to
 * (src/service/, docs/superfluidity.md).  A row is this host's part of a
 * service: which of its ports is an instance and what that instance does
 * with the address.  Neutron's service port is the truth for who answers;
 * a row is the local journal that lets a restarted daemon finish, or undo,
 * what it was doing with the address. */
static const char schema_v2[] =
	"CREATE TABLE services ("
	" service TEXT NOT NULL CHECK (length(service) > 0),"
	" port_id TEXT NOT NULL CHECK (length(port_id) > 0),"
	" addr TEXT,"
	" role TEXT NOT NULL CHECK (role IN"
	"  ('joining', 'standby', 'taking', 'active', 'draining', 'leaving')),"
	" epoch INTEGER NOT NULL DEFAULT 0,"
	" until INTEGER NOT NULL DEFAULT 0,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (service, port_id)"
	") STRICT;"
	"CREATE INDEX services_port ON services (port_id);";

/* Version 3: the role 'returning' (a port of a service's own pool leaving
 * its container but staying an instance).  SQLite cannot change a CHECK in
 * place: the table is made again and the rows copied. */
static const char schema_v3[] =
	"CREATE TABLE services_v3 ("
	" service TEXT NOT NULL CHECK (length(service) > 0),"
	" port_id TEXT NOT NULL CHECK (length(port_id) > 0),"
	" addr TEXT,"
	" role TEXT NOT NULL CHECK (role IN"
	"  ('joining', 'standby', 'taking', 'active', 'draining', 'leaving', 'returning')),"
	" epoch INTEGER NOT NULL DEFAULT 0,"
	" until INTEGER NOT NULL DEFAULT 0,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (service, port_id)"
	") STRICT;"
	"INSERT INTO services_v3 (service, port_id, addr, role, epoch, until, updated_at)"
	" SELECT service, port_id, addr, role, epoch, until, updated_at FROM services;"
	"DROP TABLE services;"
	"ALTER TABLE services_v3 RENAME TO services;"
	"CREATE INDEX services_port ON services (port_id);";

const char *const store_migrations__[STORE_SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
	schema_v3,
};

#define COLS "port_id, pool, network_id, subnet_id, mac, info, state, container_id," \
	" ifname, netns, last_container_id, last_ifname, last_netns, created_at," \
	" updated_at, cooldown_until, synced, attempts, generation"

/* Every change of state or holder sets updated_at and bumps generation. */
#define TOUCH "updated_at = ?5, generation = generation + 1, attempts = 0"

const char *const store_sql__[STMT__COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_INSERT] =
		"INSERT INTO ports (port_id, pool, network_id, subnet_id, mac, info,"
		" state, synced, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
	[STMT_GET] = "SELECT " COLS " FROM ports WHERE port_id = ?1",
	[STMT_GET_STATE] = "SELECT state FROM ports WHERE port_id = ?1",
	/* Never into IN_USE (claims do that), so the holder, if any, always
	 * moves to last_* and Neutron no longer reflects it. */
	[STMT_SET_STATE] =
		"UPDATE ports SET state = ?2,"
		" last_container_id = coalesce(container_id, last_container_id),"
		" last_ifname = coalesce(ifname, last_ifname),"
		" last_netns = iif(container_id IS NULL, last_netns, netns),"
		" synced = iif(container_id IS NULL, synced, 0),"
		" container_id = NULL, ifname = NULL, netns = NULL,"
		" updated_at = ?3, generation = generation + 1, attempts = 0"
		" WHERE port_id = ?1",
	[STMT_CLAIM] =
		"UPDATE ports SET state = 'in_use', container_id = ?2, ifname = ?3,"
		" netns = ?4, synced = 0, " TOUCH
		" WHERE port_id = (SELECT port_id FROM ports"
		"  WHERE pool = ?1 AND state = 'ready' ORDER BY updated_at, rowid LIMIT 1)"
		" RETURNING " COLS,
	[STMT_CLAIM_PORT] =
		"UPDATE ports SET state = 'in_use', container_id = ?2, ifname = ?3,"
		" netns = ?4, synced = 0, " TOUCH
		" WHERE port_id = ?1 AND state IN ('wiring', 'ready')"
		" RETURNING " COLS,
	[STMT_FIND_HOLDER] =
		"SELECT " COLS " FROM ports"
		" WHERE state = 'in_use' AND container_id = ?1 AND ifname = ?2",
	[STMT_FIND_CONTAINER] =
		"SELECT " COLS " FROM ports"
		" WHERE state = 'in_use' AND container_id = ?1 ORDER BY updated_at, rowid",
	[STMT_RELEASE] =
		"UPDATE ports SET state = 'cooldown', cooldown_until = ?3,"
		" last_container_id = container_id, last_ifname = ifname,"
		" last_netns = netns, container_id = NULL, ifname = NULL, netns = NULL,"
		" synced = 0, updated_at = ?4, generation = generation + 1, attempts = 0"
		" WHERE state = 'in_use' AND container_id = ?1 AND ifname = ?2"
		" RETURNING " COLS,
	[STMT_EXPIRE] =
		"UPDATE ports SET state = 'ready',"
		" updated_at = ?2, generation = generation + 1, attempts = 0"
		" WHERE state = 'cooldown' AND cooldown_until <= ?1",
	[STMT_MARK_SYNCED] =
		"UPDATE ports SET synced = 1, attempts = 0"
		" WHERE port_id = ?1 AND generation = ?2",
	[STMT_MARK_UNSYNCED] = "UPDATE ports SET synced = 0 WHERE port_id = ?1",
	[STMT_LIST_UNSYNCED] =
		"SELECT " COLS " FROM ports"
		" WHERE synced = 0 AND state <> 'deleting' ORDER BY updated_at, rowid",
	[STMT_NOTE_ATTEMPT] =
		"UPDATE ports SET attempts = attempts + 1 WHERE port_id = ?1"
		" RETURNING attempts",
	[STMT_SET_INFO] = "UPDATE ports SET info = ?2 WHERE port_id = ?1",
	[STMT_LIST] =
		"SELECT " COLS " FROM ports"
		" WHERE (?1 IS NULL OR pool = ?1) AND (?2 IS NULL OR state = ?2)"
		" ORDER BY pool, created_at, rowid",
	[STMT_DELETE] = "DELETE FROM ports WHERE port_id = ?1",
	[STMT_COUNT] =
		"SELECT pool, state, count(*) FROM ports GROUP BY pool, state ORDER BY pool",
	[STMT_INTEGRITY] = "PRAGMA integrity_check",
	[STMT_SVC_PUT] =
		"INSERT INTO services (service, port_id, role, epoch, until, updated_at, addr)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (service, port_id) DO UPDATE"
		" SET role = ?3, epoch = ?4, until = ?5, updated_at = ?6,"
		" addr = coalesce(?7, addr)",
	[STMT_SVC_GET] =
		"SELECT service, port_id, role, epoch, until, updated_at, addr FROM services"
		" WHERE service = ?1 AND port_id = ?2",
	[STMT_SVC_LIST] =
		"SELECT service, port_id, role, epoch, until, updated_at, addr FROM services"
		" WHERE (?1 IS NULL OR port_id = ?1) ORDER BY service, port_id",
	[STMT_SVC_DELETE] = "DELETE FROM services WHERE service = ?1 AND port_id = ?2",
};
