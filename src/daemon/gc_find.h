/* What a garbage collection pass finds and how each kind is cleaned; gc.c
 * keeps the grace between passes and writes the report. */
#ifndef SF_DAEMON_GC_FIND_H
#define SF_DAEMON_GC_FIND_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bind/bind.h"
#include "daemon/state.h"
#include "pool/pool.h"
#include "store/store.h"

/* The kinds of leak (gc.h says what each is). */
#define GC_KIND_NEUTRON "neutron"
#define GC_KIND_RECORD "record"
#define GC_KIND_INTERFACE "interface"
#define GC_KIND_CONTAINER "container"

#define GC_OUTCOME_DRY_RUN "dry-run"   /* nothing done, not counted as a sighting */
#define GC_OUTCOME_MARKED "marked"     /* first sighting: acted on if the next pass sees it too */
#define GC_OUTCOME_DONE "done"
#define GC_OUTCOME_GONE "gone"         /* no longer true when about to act: left alone */
#define GC_OUTCOME_FAILED "failed"     /* tried again next pass */

/* One finding.  Strings are owned; `port`, `p` and `row` are borrowed from
 * the pass's inputs. */
struct gc_finding {
	const char *kind;         /* GC_KIND_* */
	char *key;                /* kind, object and version: what two passes compare */
	char *object;             /* a port id or an interface name */
	char *port_id;            /* NULL when unknown */
	char *pool;               /* the pool's key; NULL: no pool */
	char *pool_name;
	char detail[256];
	const char *action;       /* what confirming it does */
	const char *outcome;      /* GC_OUTCOME_* */
	bool confirmed;
	const json_t *port;       /* neutron: the listed port */
	struct pool *p;           /* neutron: the pool its tag names, or NULL */
	int ifindex;              /* interface */
	const struct store_port *row;   /* record, container */
};

struct gc_findings {
	struct gc_finding *f;
	size_t n, cap;
};
/* Frees the findings' strings and array; fs is left empty. */
void gc_find_done(struct gc_findings *fs);

/* What a pass compares, gathered first. */
struct gc_inputs {
	const char *scope;        /* a pool key, or NULL: everything */
	int64_t listed_at;
	bool listed, linked;      /* whether the Neutron listing / link dump worked */
	json_t *ports;            /* Neutron's ports with our deployment and host tags */
	struct bind_links links;  /* the host's links */
	struct store_port_list *rows;
};

/* Every finding of `in` into fs. */
void gc_find_all(struct daemon *d, const struct gc_inputs *in, struct gc_findings *fs);
/* Checks the finding still holds, then cleans; sets f->outcome.  0 when done. */
int gc_find_act(struct daemon *d, struct gc_finding *f);

#endif
