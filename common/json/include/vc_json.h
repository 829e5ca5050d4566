/* vc_json.h - the one JSON writer of vcalld and its tools (jansson).
 *
 * Objects are built with jansson (json_object(), json_array() ...) and the
 * values below, then written as one compact line by vc_json_write_line().
 * jansson refuses NaN and infinity (json_real() returns NULL for them), so
 * every double goes through vc_json_fixed() or vc_json_real(), which give
 * JSON null instead: the output is always valid JSON.
 *
 * The vc_json_set*() helpers add a key to an object, stealing the value; a
 * NULL value (jansson out of memory, or a NULL string) is stored as null, so
 * a key is never silently left out.
 */
#ifndef VC_JSON_H
#define VC_JSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Significant digits of reals in the output: every decimal of up to 15
 * significant digits reads back as the double it was made from, so a value
 * rounded by vc_json_fixed() is written with exactly the digits of
 * printf("%.*f") (trailing zeros dropped: "1.50" is written 1.5). */
#define VC_JSON_REAL_DIGITS 15
/* jansson 2.14 (Debian 12) writes keys in insertion order already;
 * JSON_PRESERVE_ORDER keeps that so with the older jansson that sorted by hash. */
#define VC_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(VC_JSON_REAL_DIGITS))

/* v rounded to `decimals` places exactly as printf("%.*f", decimals, v)
 * rounds it; decimals 0 gives a JSON integer.  null when v is NaN or
 * infinite. */
json_t *vc_json_fixed(double v, int decimals);
/* v unrounded (VC_JSON_REAL_DIGITS significant digits); null when not finite. */
json_t *vc_json_real(double v);
/* Unsigned counters; jansson integers are signed 64-bit, so values above
 * INT64_MAX are written as INT64_MAX. */
json_t *vc_json_u64(uint64_t v);

int vc_json_set(json_t *obj, const char *key, json_t *value);
int vc_json_set_u64(json_t *obj, const char *key, uint64_t v);
int vc_json_set_i64(json_t *obj, const char *key, int64_t v);
int vc_json_set_fixed(json_t *obj, const char *key, double v, int decimals);
int vc_json_set_str(json_t *obj, const char *key, const char *s);

/* Write the object or array v (VC_JSON_FLAGS) and a newline to fp, then
 * flush.  0, or -1 on an encoding error (nothing written) or a write error. */
int vc_json_write_line(FILE *fp, const json_t *v);

#endif
