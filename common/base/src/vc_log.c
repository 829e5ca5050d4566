/* vc_log.c - stderr logger with a per-logger rate limit. */
#include "vc_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vc_clock.h"

#define LIMIT_PER_SEC 10

static const char *const names[] = { "error", "warn", "info", "debug" };

void vc_log_init(struct vc_log *log, const char *tag, enum vc_log_level level)
{
	atomic_store(&log->level, (int)level);
	log->tag = tag;
	atomic_store(&log->limit_window_us, 0);
	atomic_store(&log->limit_count, 0);
}

int vc_log_level_parse(const char *s, enum vc_log_level *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum vc_log_level)i;
			return 0;
		}
	}
	return -1;
}

VC_PRINTF(3, 0)
static void vlog(struct vc_log *log, enum vc_log_level level, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s: %s: ", log->tag ? log->tag : "vc", names[level]);

	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	/* One fputs per line keeps lines from different threads whole. */
	size_t len = strlen(line);
	if (len + 1 < sizeof(line)) {
		line[len] = '\n';
		line[len + 1] = '\0';
	}
	fputs(line, stderr);
}

void vc_log_msg(struct vc_log *log, enum vc_log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load(&log->level))
		return;
	va_start(ap, fmt);
	vlog(log, level, fmt, ap);
	va_end(ap);
}

void vc_log_limited(struct vc_log *log, enum vc_log_level level, const char *fmt, ...)
{
	va_list ap;
	uint64_t now = vc_monotonic_us();
	uint64_t win = atomic_load(&log->limit_window_us);

	if ((int)level > atomic_load(&log->level))
		return;
	if (now - win >= 1000000u) {
		uint32_t dropped = atomic_exchange(&log->limit_count, 0);
		atomic_store(&log->limit_window_us, now);
		if (dropped > LIMIT_PER_SEC)
			vc_log_msg(log, level, "(%u similar messages suppressed)", dropped - LIMIT_PER_SEC);
	}
	if (atomic_fetch_add(&log->limit_count, 1) >= LIMIT_PER_SEC)
		return;
	va_start(ap, fmt);
	vlog(log, level, fmt, ap);
	va_end(ap);
}
