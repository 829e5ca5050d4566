/* vc_json.c - jansson values that are always valid JSON, and the line writer. */
#include "vc_json.h"

#include <math.h>
#include <stdlib.h>

json_t *vc_json_fixed(double v, int decimals)
{
	char buf[400]; /* %.*f of DBL_MAX is 309 digits before the point */

	if (!isfinite(v))
		return json_null();
	if (decimals < 0)
		decimals = 0;
	if (decimals > 17)
		decimals = 17;
	/* Round through the decimal text so ties and halfway cases go exactly
	 * the way printf's correctly rounded conversion sends them. */
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	double r = strtod(buf, NULL);
	if (decimals == 0 && r > -9223372036854775808.0 && r < 9223372036854775808.0)
		return json_integer((json_int_t)r);
	return json_real(r);
}

json_t *vc_json_real(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *vc_json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

int vc_json_set(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value ? value : json_null());
}

int vc_json_set_u64(json_t *obj, const char *key, uint64_t v)
{
	return vc_json_set(obj, key, vc_json_u64(v));
}

int vc_json_set_i64(json_t *obj, const char *key, int64_t v)
{
	return vc_json_set(obj, key, json_integer((json_int_t)v));
}

int vc_json_set_fixed(json_t *obj, const char *key, double v, int decimals)
{
	return vc_json_set(obj, key, vc_json_fixed(v, decimals));
}

int vc_json_set_str(json_t *obj, const char *key, const char *s)
{
	return vc_json_set(obj, key, s ? json_string(s) : NULL);
}

int vc_json_write_line(FILE *fp, const json_t *v)
{
	/* Encode first, so a failure writes nothing rather than half a line. */
	char *text = v ? json_dumps(v, VC_JSON_FLAGS) : NULL;
	int rc = 0;

	if (!text)
		return -1;
	if (fputs(text, fp) == EOF || fputc('\n', fp) == EOF)
		rc = -1;
	free(text);
	if (fflush(fp) != 0)
		rc = -1;
	return rc;
}
