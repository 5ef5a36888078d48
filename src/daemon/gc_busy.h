/* The ADDs in progress, on the hot path: an ADD holds (container_id,
 * ifname) from before its claim to its answer, and the garbage collector
 * never judges a record whose holder is busy (its interface may not exist
 * yet). */
#ifndef SF_DAEMON_GC_BUSY_H
#define SF_DAEMON_GC_BUSY_H

#include <stdbool.h>

#include "common/util.h"

struct gc_busy;

int gc_busy_new(struct gc_busy **ret) MUST_CHECK;
void gc_busy_free(struct gc_busy *b);   /* NULL-safe */

/* The strings are copied. */
void gc_busy_begin(struct gc_busy *b, const char *container_id, const char *ifname);
void gc_busy_end(struct gc_busy *b, const char *container_id, const char *ifname);
bool gc_busy_check(struct gc_busy *b, const char *container_id, const char *ifname);

#endif
