/* The table that describes a section kind of a config file (its keys'
 * names, types, offsets, defaults and flags), and what is done with one
 * key's value.  config_parse.h reads a file against such tables. */
#ifndef SF_COMMON_CONFIG_SECTION_H
#define SF_COMMON_CONFIG_SECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

/* From 1: no type is 0, so a table line that forgets its help text (the
 * second field) does not compile (an int where a string belongs). */
enum config_type {
	CONFIG_STRING = 1,  /* char *, non-empty */
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
	/* What the key means, one paragraph of plain text (no markup): the
	 * man page superfluid.conf(5) and the commented example config are
	 * generated from it (config_doc.h), so no key goes undocumented. */
	const char *help;
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
	const char *help;      /* what the section is for, plain text (config_doc.h) */
};

/* Sets every key of `kind` that has a default in `base`.  Returns 0, or
 * -EINVAL if a default does not parse (a bug in the table), -ENOMEM. */
int config_section_defaults(const struct config_section_kind *kind, void *base) MUST_CHECK;

/* Frees the strings of `kind`'s keys in `base` and NULLs them. */
void config_section_free_strings(const struct config_section_kind *kind, void *base);

/* Stores `value` into the field of `key` in `base`.  On failure writes
 * what was expected into `why` (without the value: it may be a secret)
 * and returns -errno. */
int config_section_set(const struct config_key *key, void *base, const char *value, char *why,
		       size_t why_size) MUST_CHECK;

/* Appends " (did you mean 'x'?)" for a key `name` that `kind` lacks, or the
 * list of keys of a small kind, to buf. */
void config_section_key_hint(const struct config_section_kind *kind, const char *name, char *buf,
			     size_t size);

#endif
