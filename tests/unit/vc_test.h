/* vc_test.h - a minimal table-friendly test harness for the unit tests.
 * CHECK() records a failure and goes on; the summary line is the plain
 * "N passed, N failed" that CI reads.
 */
#ifndef VC_TEST_H
#define VC_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int vc_test_failed;
static int vc_test_passed;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (cond) {                                                         \
			vc_test_passed++;                                           \
		} else {                                                            \
			vc_test_failed++;                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,      \
				__LINE__, #cond);                                   \
		}                                                                   \
	} while (0)

#define CHECK_EQ(a, b)                                                              \
	do {                                                                        \
		long long va_ = (long long)(a), vb_ = (long long)(b);               \
		if (va_ == vb_) {                                                   \
			vc_test_passed++;                                           \
		} else {                                                            \
			vc_test_failed++;                                           \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %lld, %s = %lld\n", \
				__FILE__, __LINE__, #a, va_, #b, vb_);              \
		}                                                                   \
	} while (0)

#define RUN(fn)                                                                     \
	do {                                                                        \
		int before_ = vc_test_failed;                                       \
		fn();                                                               \
		fprintf(stderr, "%s %s\n", vc_test_failed == before_ ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int vc_test_summary(void)
{
	printf("%d passed, %d failed\n", vc_test_passed, vc_test_failed);
	return vc_test_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
