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

#include "common/util.h"

enum config_type {
	CONFIG_STRING,  /* char *, non-empty */
	CONFIG_PATH,    /* char *, an absolute path */
	CONFIG_BOOL,    /* bool: true/false, yes/no, on/off, 1/0 */
	CONFIG_INT,     /* int, within [min, max] */
	CONFIG_ENUM,    /* int: the value of the matching name in `enums` */
};

#define CONFIG_REQUIRED (1u << 0)  /* must appear in the file */
#define CONFIG_SECRET   (1u << 1)  /* never echoed in messages */

struct config_enum_value {
	const char *name;
	int value;
};

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;                         /* of the field in the section struct */
	const char *def;                       /* default, parsed as a value; NULL: none */
	long min, max;                         /* CONFIG_INT */
	const struct config_enum_value *enums; /* CONFIG_ENUM; ends with {NULL, 0} */
	unsigned flags;
};

struct config_section_kind {
	const char *name;      /* "neutron"; for a named kind, "pool" of [pool NAME] */
	bool named;
	const struct config_key *keys;
	size_t n_keys;         /* at most 64 */
	/* Returns the struct the keys' offsets apply to.  Fixed kinds get
	 * name == NULL and return their one struct; named kinds get the instance
	 * name and create a new instance (the parser has already refused a
	 * repeated name; it applies the defaults itself).  Returning NULL makes
	 * it an error ("too many sections", say); NULL with errno ENOMEM makes
	 * the parse fail with -ENOMEM. */
	void *(*section)(void *user, const char *name);
};

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

/* Sets every key of `kind` that has a default in `base`.  Returns 0, or
 * -EINVAL if a default does not parse (a bug in the table), -ENOMEM. */
int config_section_defaults(const struct config_section_kind *kind, void *base) MUST_CHECK;

/* Frees the strings of `kind`'s keys in `base` and NULLs them. */
void config_section_free_strings(const struct config_section_kind *kind, void *base);

/* Fills `err` (if not NULL) with "PATH:LINE: " (LINE omitted when 0) and
 * the formatted text; returns -EINVAL for `return config_error_set(...)`. */
int config_error_set(struct config_error *err, const char *path, unsigned line,
		     const char *section, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#endif
