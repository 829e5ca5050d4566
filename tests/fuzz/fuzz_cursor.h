/* fuzz_cursor.h - reading a fuzz input as a stream of operation bytes;
 * past the end it yields zeros, so every input is a valid program. */
#ifndef FUZZ_CURSOR_H
#define FUZZ_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cur {
	const uint8_t *p;
	size_t left;
};

static inline uint8_t next(struct cur *c)
{
	if (c->left == 0)
		return 0;
	c->left--;
	return *c->p++;
}

#endif
