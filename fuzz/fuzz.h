/* Shared by the libFuzzer targets in fuzz/ (docs/fuzzing.md): the entry
 * point's prototype and two helpers.
 *
 * Besides memory errors, leaks and undefined behaviour (ASan, LSan,
 * UBSan), each target checks what the parser's header promises: an output
 * written only on success, an error that says why, a result that survives a
 * round trip.  A broken promise aborts, which libFuzzer reports as a crash. */
#ifndef SF_FUZZ_FUZZ_H
#define SF_FUZZ_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* A NUL-terminated copy in a block of exactly size + 1 bytes, so that ASan
 * catches a read past the end.  The caller frees it. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Whether a message is one line of printable ASCII, as the parsers promise
 * for text taken from untrusted input. */
static inline int fuzz_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

#endif
