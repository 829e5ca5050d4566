/* vc_log.h - leveled, rate-limited logging to stderr.
 *
 * A struct vc_log is owned by the daemon and handed to the modules that log;
 * there is no global logger.  vc_log_*() may be called from any thread except
 * real-time audio callbacks (it formats and writes).
 */
#ifndef VC_LOG_H
#define VC_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum vc_log_level { VC_LOG_ERROR = 0, VC_LOG_WARN, VC_LOG_INFO, VC_LOG_DEBUG };

struct vc_log {
	_Atomic int level;
	const char *tag;          /* prefix, e.g. "vcalld" */
	_Atomic uint64_t limit_window_us;
	_Atomic uint32_t limit_count;
};

void vc_log_init(struct vc_log *log, const char *tag, enum vc_log_level level);
int vc_log_level_parse(const char *s, enum vc_log_level *out);

#if defined(__GNUC__)
#define VC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VC_PRINTF(a, b)
#endif

void vc_log_msg(struct vc_log *log, enum vc_log_level level, const char *fmt, ...) VC_PRINTF(3, 4);

/* For network-driven events: at most ~10 lines a second pass, the rest are
 * counted and summarised. */
void vc_log_limited(struct vc_log *log, enum vc_log_level level, const char *fmt, ...) VC_PRINTF(3, 4);

#define vc_err(l, ...) vc_log_msg((l), VC_LOG_ERROR, __VA_ARGS__)
#define vc_warn(l, ...) vc_log_msg((l), VC_LOG_WARN, __VA_ARGS__)
#define vc_info(l, ...) vc_log_msg((l), VC_LOG_INFO, __VA_ARGS__)
#define vc_dbg(l, ...) vc_log_msg((l), VC_LOG_DEBUG, __VA_ARGS__)

#endif
