/* A strict, table-driven INI parser on top of inih.
 *
 * A file is described by section kinds; each kind has a table of keys
 * (name, type, offset of the field in the section's struct, default,
 * flags).  A kind is either fixed ("[neutron]") or named ("[pool web]":
 * kind "pool", instance name "web"); the kind's `section` callback returns
 * the struct that the key offsets apply to, creating one per named instance.
 *
 * Strict means: unknown sections and keys, a key or section given twice, a
 * key outside any section, an empty value, a value of the wrong type and a
 * missing required key are all errors, reported as
 *   PATH:LINE: key 'KEY' in [SECTION]: what is wrong
 * Values of keys flagged CONFIG_SECRET never appear in a message.
 *
 * Lines may be indented; a comment starts with '#' or ';' at the start of a
 * line or after whitespace, so a value cannot contain " #" or " ;". */
#ifndef SF_COMMON_CONFIG_PARSE_H
#define SF_COMMON_CONFIG_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config_section.h"
#include "common/util.h"

struct config_error {
	char path[512];
	unsigned line;         /* 0 when the error is about the whole file */
	char section[64];      /* "" when none */
	char key[64];          /* "" when none */
	char message[1024];    /* the whole text, "PATH:LINE: ..." */
};

/* Parses `f` (read from the current position) as `path` against `kinds`.
 * Fixed kinds' defaults are the caller's business (config_section_defaults
 * before parsing, since a section may be absent); named instances get theirs
 * on creation.  Returns 0, or -EINVAL (-ENOMEM without memory) with `err`
 * filled (if not NULL).
 * On failure the section structs may hold some parsed values: the caller
 * frees them as usual. */
int config_parse_file(FILE *f, const char *path, const struct config_section_kind *kinds,
		      size_t n_kinds, void *user, struct config_error *err) MUST_CHECK;

/* Fills `err` (if not NULL) with "PATH:LINE: " (LINE omitted when 0) and
 * the formatted text; returns -EINVAL for `return config_error_set(...)`. */
int config_error_set(struct config_error *err, const char *path, unsigned line,
		     const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
