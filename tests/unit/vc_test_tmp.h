/* vc_test_tmp.h - a scratch directory for the tests that write files:
 * tmp_make() in main, tmp("name") for a path in it, tmp_remove() at the end.
 * One per test program (static). */
#ifndef VC_TEST_TMP_H
#define VC_TEST_TMP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[64];

static const char *tmp(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Make /tmp/vc_test_TAG.XXXXXX; false if it cannot be made. */
static bool tmp_make(const char *tag)
{
	snprintf(dir, sizeof(dir), "/tmp/vc_test_%s.XXXXXX", tag);
	return mkdtemp(dir) != NULL;
}

static void tmp_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

#endif
