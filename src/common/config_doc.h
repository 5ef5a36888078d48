/* The configuration's documentation, generated from the tables config_keys.c
 * reads files against (config_kinds, config_credential_kinds): so that a
 * key cannot exist without its documentation.  man/confdoc prints these
 * at build time into superfluid.conf(5) and the example config. */
#ifndef SF_COMMON_CONFIG_DOC_H
#define SF_COMMON_CONFIG_DOC_H

#include <stddef.h>
#include <stdio.h>

#include "common/util.h"

/* 0 when every section and key has a help text; else -EINVAL, and `why`
 * names the first without. */
int config_doc_check(char *why, size_t why_size) MUST_CHECK;

/* The sections and their keys as roff (.SS per section, .TP per key: its
 * type, default and help), for the KEYS section of superfluid.conf(5).
 * -EINVAL when config_doc_check fails, -EIO on a write error. */
int config_doc_man(FILE *f) MUST_CHECK;

/* A commented configuration file: every fixed section, every key commented
 * out at its default with its help above it; named sections as comments.
 * Same errors. */
int config_doc_ini(FILE *f) MUST_CHECK;

#endif
