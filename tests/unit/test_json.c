/* test_json.c - the shared JSON writer (common/json/vc_json.h): NaN and
 * infinity become null, rounding matches printf("%.*f"), integers stay
 * integers, keys keep their order, and what is written parses; and the
 * daemon's stats line, written through it, is valid JSON even when the
 * snapshot holds non-finite values.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vc_json.h"
#include "vc_stats.h"
#include "vc_test.h"
#include "vc_test_rng.h"

/* The text vc_json writes for one value. */
static char *dump_value(json_t *v)
{
	char *s = json_dumps(v, VC_JSON_FLAGS | JSON_ENCODE_ANY);
	json_decref(v);
	return s;
}

/* What vc_json_write_line wrote for o, then o parsed back from it. */
static char *write_line(json_t *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	CHECK(fp != NULL);
	if (!fp)
		return NULL;
	CHECK_EQ(vc_json_write_line(fp, o), 0);
	fclose(fp);
	return buf;
}

static void test_nonfinite_is_null(void)
{
	const double bad[] = { NAN, -NAN, INFINITY, -INFINITY };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int d = 0; d <= 3; d++) {
			json_t *v = vc_json_fixed(bad[i], d);
			CHECK(json_is_null(v));
			json_decref(v);
		}
		json_t *v = vc_json_real(bad[i]);
		CHECK(json_is_null(v));
		json_decref(v);
	}
	/* jansson itself refuses them: the reason for the helper */
	CHECK(json_real(NAN) == NULL);
	CHECK(json_real(INFINITY) == NULL);

	json_t *o = json_object();
	vc_json_set_fixed(o, "nan", NAN, 1);
	vc_json_set_fixed(o, "inf", INFINITY, 2);
	vc_json_set_fixed(o, "ninf", -INFINITY, 0);
	vc_json_set(o, "real", vc_json_real(NAN));
	vc_json_set_fixed(o, "ok", 2.25, 1);
	json_t *arr = json_array();
	json_array_append_new(arr, vc_json_fixed(NAN, 6));
	json_array_append_new(arr, vc_json_fixed(1.0, 2));
	vc_json_set(o, "series", arr);
	char *line = write_line(o);
	json_decref(o);
	CHECK(line && strcmp(line, "{\"nan\":null,\"inf\":null,\"ninf\":null,\"real\":null,"
				   "\"ok\":2.2,\"series\":[null,1.0]}\n") == 0);
	if (line)
		fprintf(stderr, "  %s", line);

	json_error_t err;
	json_t *back = line ? json_loads(line, 0, &err) : NULL;
	CHECK(back != NULL);
	CHECK(json_is_null(json_object_get(back, "nan")));
	CHECK(json_is_null(json_object_get(back, "inf")));
	CHECK(json_is_null(json_object_get(back, "ninf")));
	CHECK(json_is_null(json_array_get(json_object_get(back, "series"), 0)));
	CHECK(json_real_value(json_object_get(back, "ok")) == 2.2);
	json_decref(back);
	free(line);
}

/* printf("%.*f") with trailing zeros dropped, keeping one after the point:
 * what jansson writes for the same value. */
static void printf_text(char *buf, size_t size, double v, int d)
{
	snprintf(buf, size, "%.*f", d, v);
	if (d == 0)
		return;
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		strcpy(buf + n, "0");
}

static void test_fixed_matches_printf(void)
{
	static const struct {
		double v;
		int d;
		const char *text;
	} v[] = {
		{ 1.5, 2, "1.5" },   /* was "1.50" */
		{ 30.0, 1, "30.0" }, /* still a real */
		{ 0.25, 1, "0.2" },  /* an exact tie: printf's rounding, not round() */
		{ 0.35, 1, "0.3" },  /* 0.35 is 0.34999... in binary */
		{ -0.04, 1, "-0.0" },
		{ 1234567.891, 3, "1234567.891" },
		{ 12.7, 0, "13" },   /* no decimals: an integer */
		{ -12.5, 0, "-12" },
		{ 4567.123456, 6, "4567.123456" },
	};
	char want[64];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *s = dump_value(vc_json_fixed(v[i].v, v[i].d));
		CHECK(s && strcmp(s, v[i].text) == 0);
		if (s && strcmp(s, v[i].text) != 0)
			fprintf(stderr, "  %.17g at %d: %s, want %s\n", v[i].v, v[i].d, s, v[i].text);
		free(s);
	}
	json_t *z = vc_json_fixed(12.7, 0);
	CHECK(json_is_integer(z) && json_integer_value(z) == 13);
	json_decref(z);

	/* Random magnitudes from 5e-4 to 1e9 at 1, 2, 3 and 6 decimals: the
	 * same digits as the printf the writers used before. */
	rng_state = 7;
	int mismatches = 0;
	static const int decs[] = { 1, 2, 3, 6 };
	for (int i = 0; i < 20000; i++) {
		double x = ldexp(rng_uniform(0.5, 1.0), (int)(rng_next() % 41) - 10);
		if (rng_next() & 1)
			x = -x;
		int d = decs[i % 4];
		if (fabs(x) * pow(10, d) >= 1e15)
			continue; /* past VC_JSON_REAL_DIGITS: not a value these writers make */
		printf_text(want, sizeof(want), x, d);
		char *s = dump_value(vc_json_fixed(x, d));
		if (!s || strcmp(s, want) != 0) {
			if (mismatches++ < 5)
				fprintf(stderr, "  %.17g at %d: %s, printf %s\n", x, d, s ? s : "(null)", want);
		}
		free(s);
	}
	CHECK_EQ(mismatches, 0);
}

static void test_integers(void)
{
	char *s = dump_value(vc_json_u64(42));
	CHECK(s && strcmp(s, "42") == 0);
	free(s);
	s = dump_value(vc_json_u64(UINT64_MAX));
	CHECK(s && strcmp(s, "9223372036854775807") == 0);
	free(s);

	json_t *o = json_object();
	vc_json_set_u64(o, "u", 9007199254740992u);
	vc_json_set_i64(o, "i", -3);
	vc_json_set(o, "missing", NULL);    /* out of memory: null, not left out */
	vc_json_set_str(o, "nostr", NULL);
	vc_json_set_str(o, "state", "con\"nected\n");
	vc_json_set(o, "t", json_boolean(1));
	char *line = write_line(o);
	json_decref(o);
	CHECK(line && strcmp(line, "{\"u\":9007199254740992,\"i\":-3,\"missing\":null,\"nostr\":null,"
				   "\"state\":\"con\\\"nected\\n\",\"t\":true}\n") == 0);
	if (line)
		fprintf(stderr, "  %s", line);
	free(line);
}

static void test_key_order(void)
{
	static const char *const keys[] = { "zeta", "alpha", "mid", "beta", "omega", "a", "rejected",
					    "b", "y", "c" };
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		vc_json_set_u64(o, keys[i], i);
	char *line = write_line(o);
	json_decref(o);
	CHECK(line && strcmp(line, "{\"zeta\":0,\"alpha\":1,\"mid\":2,\"beta\":3,\"omega\":4,\"a\":5,"
				   "\"rejected\":6,\"b\":7,\"y\":8,\"c\":9}\n") == 0);
	free(line);

	/* a failed encoding writes nothing */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	CHECK(vc_json_write_line(fp, NULL) == -1);
	fclose(fp);
	CHECK_EQ(len, 0);
	free(buf);
}

/* Where key (with its quotes and colon) first appears in s, or -1. */
static long at(const char *s, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(s, pat);
	return p ? (long)(p - s) : -1;
}

static void test_stats_line_nonfinite(void)
{
	struct vc_stats st;
	struct vc_stats_snapshot snap = { .t_us = 3000000, .state = "connected", .rtt_us = 1500,
					  .have_drift = true, .drift_ppm = NAN, .aec = 1,
					  .in_jitter_ms = { INFINITY, -INFINITY } };
	struct vc_stats_prev prev = { .t_us = 2000000 };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	vc_stats_init(&st);
	atomic_store(&st.frames_encoded, 30);
	vc_stats_write(fp, &st, &snap, &prev, 1000000);
	fclose(fp);
	CHECK(len > 0 && buf[len - 1] == '\n' && strchr(buf, '\n') == buf + len - 1);
	CHECK(strstr(buf, "nan") == NULL && strstr(buf, "inf") == NULL);

	json_error_t err;
	json_t *o = json_loads(buf, 0, &err);
	CHECK(o != NULL);
	if (!o)
		fprintf(stderr, "  %s: %s\n", err.text, buf);
	json_t *vi = json_object_get(o, "video_in"), *ai = json_object_get(o, "audio_in");
	CHECK(json_is_null(json_object_get(ai, "drift_ppm")));
	CHECK(json_is_null(json_object_get(vi, "jitter_ms")));
	CHECK(json_is_null(json_object_get(ai, "jitter_ms")));
	/* integers stay integers, reals stay reals */
	CHECK(json_is_integer(json_object_get(o, "t_ms")));
	CHECK(json_is_integer(json_object_get(json_object_get(o, "video_out"), "frames_encoded")));
	CHECK(json_is_real(json_object_get(json_object_get(o, "video_out"), "fps")));
	CHECK(json_is_true(json_object_get(json_object_get(json_object_get(o, "audio_out"), "aec"), "on")));
	CHECK(json_real_value(json_object_get(o, "rtt_ms")) == 1.5);
	json_decref(o);

	/* the top-level keys in their documented order */
	static const char *const top[] = { "t_ms", "state", "rtt_ms", "video_out", "video_in",
					   "audio_out", "audio_in", "av_sync_ms", "rejected", "rtcp", "send" };
	for (size_t i = 1; i < sizeof(top) / sizeof(top[0]); i++) {
		CHECK(at(buf, top[i - 1]) >= 0 && at(buf, top[i - 1]) < at(buf, top[i]));
		if (!(at(buf, top[i - 1]) >= 0 && at(buf, top[i - 1]) < at(buf, top[i])))
			fprintf(stderr, "  %s not before %s in %s", top[i - 1], top[i], buf);
	}
	free(buf);
}

int main(void)
{
	RUN(test_nonfinite_is_null);
	RUN(test_fixed_matches_printf);
	RUN(test_integers);
	RUN(test_key_order);
	RUN(test_stats_line_nonfinite);
	return vc_test_summary();
}
