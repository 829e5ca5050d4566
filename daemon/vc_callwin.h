/* vc_callwin.h - the call's window: two picture mailboxes (the peer's
 * picture from video playout, the self view from capture), the keys (mute,
 * camera off, hang up), the title and the stats overlay.
 *
 * A mailbox is a triple buffer: the producer copies into a frame of its
 * own (reallocating it, if the size changed, outside any lock), then swaps
 * pointers with the shared slot under a lock held for the swap only; the
 * main thread swaps the newest picture out the same way and uploads it to
 * SDL with no lock held.  A capture thread never waits for SDL.
 *
 * Threading: vc_callwin_post_* from the media threads, vc_callwin_wake
 * from any thread, everything else on the main thread (SDL's).
 */
#ifndef VC_CALLWIN_H
#define VC_CALLWIN_H

#include <stdbool.h>

#include "vc_frame.h"
#include "vc_liveness.h"
#include "vc_log.h"
#include "vc_msend.h"
#include "vc_net.h"
#include "vc_stats.h"
#include "vc_window.h"

/* ---- the mailbox ---- */
struct vc_mailbox;
int vc_mailbox_new(struct vc_mailbox **out);
void vc_mailbox_free(struct vc_mailbox *mb);
/* Producer: publish a copy of f (the older unread picture is replaced). */
void vc_mailbox_post(struct vc_mailbox *mb, const struct vc_frame *f);
/* Consumer: the newest picture not taken yet, or NULL.  Valid until the
 * next call. */
const struct vc_frame *vc_mailbox_take(struct vc_mailbox *mb);

/* ---- the window of a call ---- */
struct vc_callwin_cfg {
	struct vc_window *win;
	struct vc_msend *msend;       /* mute / camera-off toggles */
	const struct vc_liveness *live;
	const struct vc_addr *peer;
	struct vc_log *log;
	struct vc_stats *stats;
};

struct vc_callwin;

int vc_callwin_new(struct vc_callwin **out, const struct vc_callwin_cfg *cfg);
void vc_callwin_free(struct vc_callwin *cw);
void vc_callwin_post_remote(void *cw, const struct vc_frame *pic);
void vc_callwin_post_self(void *cw, const struct vc_frame *pic);
void vc_callwin_wake(struct vc_callwin *cw);
/* Keys, new pictures, title and drawing, waiting up to timeout_ms for
 * something to happen; true when the user hung up. */
bool vc_callwin_step(struct vc_callwin *cw, int timeout_ms);
/* The stats overlay (s): the last second, from the snapshot. */
void vc_callwin_overlay(struct vc_callwin *cw, const struct vc_stats_snapshot *snap);
/* "vcalld: PEER (state, muted, camera off)" */
void vc_call_title(char *buf, size_t len, const struct vc_addr *peer, int state, bool muted, bool camera_off);

#endif
