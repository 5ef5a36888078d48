/* The Neutron client's options from the config file's [neutron] section:
 * config sits below the client and knows nothing of it, the client reads
 * the config. */
#ifndef SF_NEUTRON_OPTS_H
#define SF_NEUTRON_OPTS_H

#include "common/config.h"
#include "common/util.h"
#include "neutron/neutron.h"

/* Fills *ret; the strings are borrowed from `n` and live as long as it
 * does.  -EINVAL for an auth_type the client does not know. */
int neutron_opts_from_config(const struct config_neutron *n, struct neutron_opts *ret) MUST_CHECK;

#endif
