/* How a call's outcome is reported (outcome.h): its error, and the
 * client's counters. */
#include "neutron/outcome.h"

#include <stdarg.h>
#include <stdio.h>

void neutron_error_set(struct neutron_error *err, int http_status, const char *type,
		       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->http_status = http_status;
	err->retry_after_ms = 0;
	util_strlcpy(err->type, type ? type : "", sizeof(err->type));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

void neutron_client_stats(struct neutron_client *c, struct neutron_stats *ret)
{
	pthread_mutex_lock(&c->stats_lock);
	*ret = c->stats;
	pthread_mutex_unlock(&c->stats_lock);
}

void neutron_stats_add(struct neutron_client *c, const struct neutron_stats *d)
{
	pthread_mutex_lock(&c->stats_lock);
	c->stats.requests += d->requests;
	c->stats.retries += d->retries;
	c->stats.errors += d->errors;
	c->stats.auths += d->auths;
	c->stats.reauths_on_401 += d->reauths_on_401;
	c->stats.connections += d->connections;
	c->stats.total_us += d->total_us;
	pthread_mutex_unlock(&c->stats_lock);
}
