/* The ADD success result (spec section 5), built by the daemon and printed
 * in the version the request asked for; also the parsed form of a
 * "prevResult".
 *
 * How versions differ in print:
 *   0.3.1, 0.4.0  every ips[] entry carries "version": "4" or "6";
 *                 interfaces have name, mac, sandbox; routes dst, gw.
 *   1.0.0         no ips[].version.
 *   1.1.0         interfaces add mtu, socketPath, pciID; routes add mtu,
 *                 advmss, priority, table, scope.
 * Optional fields that are unset (NULL, 0, has_* false) are left out, as libcni's
 * types do; "dns" is left out when empty. */
#ifndef SF_CNI_RESULT_H
#define SF_CNI_RESULT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cni/cni.h"

struct cni_interface {
	char *name;          /* required */
	char *mac;           /* or NULL */
	int mtu;             /* 0: unset (1.1.0) */
	char *sandbox;       /* netns path; NULL or "" for host interfaces */
	char *socket_path;   /* or NULL (1.1.0) */
	char *pci_id;        /* or NULL (1.1.0) */
};

struct cni_ip {
	char *address;       /* CIDR, e.g. "198.18.0.5/24"; required */
	char *gateway;       /* or NULL */
	bool has_interface;  /* false in the abbreviated (IPAM) form */
	int interface;       /* index into interfaces[] */
};

struct cni_route {
	char *dst;           /* CIDR; required */
	char *gw;            /* or NULL */
	int mtu;             /* 0: unset (this and the rest: 1.1.0) */
	int advmss;          /* 0: unset */
	int priority;        /* 0: unset */
	bool has_table;
	int table;
	bool has_scope;
	int scope;           /* 0 global, 253 link, 254 host */
};

struct cni_dns {
	char **nameservers;  /* NULL-terminated or NULL; n_* is the length */
	size_t n_nameservers;
	char *domain;        /* or NULL */
	char **search;
	size_t n_search;
	char **options;
	size_t n_options;
};

struct cni_result {
	struct cni_interface *interfaces;
	size_t n_interfaces;
	struct cni_ip *ips;
	size_t n_ips;
	struct cni_route *routes;
	size_t n_routes;
	struct cni_dns dns;
};

/* An empty result, or NULL without memory.  Free it with cni_result_free(). */
struct cni_result *cni_result_new(void);
void cni_result_free(struct cni_result *res);

/* Each adder copies what it is given and checks it: names and addresses
 * must parse, numbers must not be negative (a scope is 0..255), an ips[].interface must index an interface already added, a
 * gateway must be of the address's family.  -EINVAL when not; -ENOMEM
 * without memory.  On success the interface adder writes the new index to
 * *ret_index (may be NULL). */
int cni_result_add_interface(struct cni_result *res, const struct cni_interface *iface,
			     size_t *ret_index) MUST_CHECK;
int cni_result_add_ip(struct cni_result *res, const struct cni_ip *ip) MUST_CHECK;
int cni_result_add_route(struct cni_result *res, const struct cni_route *route) MUST_CHECK;
/* Merges `dns` into the result's: lists are joined without duplicates, the
 * domain is set when the result has none.  -ENOMEM may leave part of it
 * merged. */
int cni_result_add_dns(struct cni_result *res, const struct cni_dns *dns) MUST_CHECK;

/* Chaining: makes `res` the previous plugin's result followed by what this
 * plugin added (indices shifted), as the spec asks of a plugin that gets a
 * prevResult.  DNS lists: prev's entries first; prev's domain wins.  -ENOMEM
 * leaves `res` as it was. */
int cni_result_merge_prev(struct cni_result *res, const struct cni_result *prev) MUST_CHECK;

/* JSON in version `v`, one line and a newline; caller frees *ret.  -ENOMEM
 * without memory. */
int cni_result_to_json(const struct cni_result *res, enum cni_version v,
		       char **ret) MUST_CHECK;
/* Parses a result object (a prevResult) of version `v`.  Accepts the
 * abbreviated IPAM form (no interfaces).  On failure, code 7 in err and
 * -EINVAL; without memory, code 999 and -ENOMEM.  Caller frees *ret with
 * cni_result_free(). */
int cni_result_from_json(const json_t *obj, enum cni_version v, struct cni_result **ret,
			 struct cni_error *err) MUST_CHECK;

/* DNS helpers, used by the config parser too. */
void cni_dns_done(struct cni_dns *dns);
bool cni_dns_is_empty(const struct cni_dns *dns);
/* Parses a "dns" object; ctx ("dns." or "prevResult.dns.") prefixes key names
 * in messages.  On failure, code 7 in err. */
int cni_dns_from_json(const json_t *obj, const char *ctx, struct cni_dns *ret,
		      struct cni_error *err) MUST_CHECK;

/* Address checks: "a.b.c.d/n" or "x::y/n" -> 4 or 6; -EINVAL otherwise. */
int cni_cidr_family(const char *s) MUST_CHECK;
int cni_ip_family(const char *s) MUST_CHECK;

#endif
