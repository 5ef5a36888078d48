/* The store's services table (schema version 2): this host's instances of
 * services and what each does with the service address.  The conventions
 * of store/store.h apply. */
#ifndef SF_STORE_STORE_SERVICE_H
#define SF_STORE_STORE_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum store_service_role {
	STORE_SERVICE_JOINING,    /* to become an instance: Neutron not told yet */
	STORE_SERVICE_STANDBY,    /* an instance, not holding the address */
	STORE_SERVICE_TAKING,     /* a move to it is under way (journal) */
	STORE_SERVICE_ACTIVE,     /* holds the address on its interface */
	STORE_SERVICE_DRAINING,   /* holds it on lo until `until` */
	STORE_SERVICE_LEAVING,    /* its container is gone: Neutron to be told */
	STORE_SERVICE_RETURNING,  /* the same, but the port goes back to the
				   * service's own pool: it stays an instance */
	STORE_SERVICE_ROLE_COUNT,
};

const char *store_service_role_to_string(enum store_service_role role);
int store_service_role_from_string(const char *s, enum store_service_role *ret) MUST_CHECK;

/* One row; the strings belong to the struct (store_service_row_done). */
struct store_service_row {
	char *service;
	char *port_id;
	enum store_service_role role;
	int64_t epoch;        /* the service's epoch this row last acted on */
	int64_t until;        /* DRAINING: unix ms at which the address goes;
			       * STANDBY: since when it is an instance (0: long) */
	int64_t updated_at;
	char *addr;           /* the service's address, once known; NULL before */
};

void store_service_row_done(struct store_service_row *row);
void store_service_rows_free(struct store_service_row *rows, size_t n);

/* Inserts or replaces (service, port_id)'s row; addr NULL keeps the row's. */
int store_service_put(struct store *s, const char *service, const char *port_id,
		      const char *addr, enum store_service_role role, int64_t epoch,
		      int64_t until) MUST_CHECK;
/* -ENOENT when there is no such row. */
int store_service_get(struct store *s, const char *service, const char *port_id,
		      struct store_service_row *ret) MUST_CHECK;
/* Rows of port_id (NULL: all); *ret is an array of *ret_n rows
 * (store_service_rows_free), NULL when none. */
int store_service_list(struct store *s, const char *port_id, struct store_service_row **ret,
		       size_t *ret_n) MUST_CHECK;
/* 0 also when there was no such row. */
int store_service_delete(struct store *s, const char *service, const char *port_id) MUST_CHECK;

#endif
