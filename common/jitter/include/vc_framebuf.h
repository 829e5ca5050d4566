/* vc_framebuf.h - video packet buffer and frame assembly.
 *
 * Packets (already stripped of their payload descriptor by the codec's
 * depacketizer, which also says whether a packet starts a frame) go into
 * preallocated slots indexed by unwrapped sequence number.  A frame is the
 * run of packets with the same RTP timestamp from a start packet to a
 * marker packet with no sequence gap.  Complete frames are released in
 * timestamp order when their render time has come:
 *   render_us = rtp_time_us(ts) + baseline transit + target delay
 * with the same minimum-transit baseline as vc_jb.  A frame still
 * incomplete when a later frame is complete and due is given up (counted
 * as dropped) and the next released frame carries gap_before = true, so the
 * caller knows the reference chain may be broken (wait for a keyframe or
 * ask for one).  Frames whose bytes would exceed max_frame are dropped.
 *
 * Threading: not thread-safe; the owner serialises calls.  No allocation
 * after _new.
 */
#ifndef VC_FRAMEBUF_H
#define VC_FRAMEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vc_framebuf;

struct vc_framebuf_cfg {
	uint32_t clock_rate;   /* 90000 */
	uint32_t target_ms;    /* fixed render delay above the fastest frame */
	uint32_t slots;        /* packet slots, power of two not required, e.g. 1024 */
	uint32_t max_payload;  /* bytes per packet slot, e.g. 1200 */
	uint32_t max_frame;    /* cap on an assembled frame, e.g. 1 MiB */
};

struct vc_fb_pkt_info {
	uint16_t seq;
	uint32_t ts;
	bool marker;          /* RTP M bit: last packet of the frame */
	bool frame_start;     /* first packet of the frame (VP8: S=1 and PID=0) */
	bool keyframe;        /* meaningful on the start packet */
	int32_t picture_id;   /* -1 if absent */
	uint64_t capture_us;  /* sender capture time mapped to local clock, 0 if unknown */
	uint64_t arrival_us;
};

enum vc_fb_put_result {
	VC_FB_STORED = 0,
	VC_FB_DUPLICATE = 1,
	VC_FB_LATE = 2,       /* belongs to a frame already released or given up */
	VC_FB_TOO_BIG = 3,    /* packet larger than a slot, or its frame past max_frame */
	VC_FB_OVERFLOW = 4,   /* too far ahead of the oldest buffered packet: buffer flushed */
};

struct vc_fb_frame {
	uint8_t *data;        /* caller buffer */
	size_t cap;           /* its size */
	size_t len;           /* bytes written */
	uint32_t ts;
	bool keyframe;
	int32_t picture_id;
	bool gap_before;      /* a frame before this one was lost or given up */
	uint16_t first_seq, last_seq;
	uint64_t capture_us;
	uint64_t first_arrival_us, last_arrival_us;
	uint64_t render_us;
};

int vc_framebuf_new(struct vc_framebuf **out, const struct vc_framebuf_cfg *cfg);
void vc_framebuf_free(struct vc_framebuf *fb);

enum vc_fb_put_result vc_framebuf_put(struct vc_framebuf *fb, const struct vc_fb_pkt_info *pi,
				      const uint8_t *data, size_t len);

/* Release the next complete frame whose render time is <= now_us (copying
 * its packets' payloads, in order, into f->data).  Returns 1 with *f
 * filled, 0 when nothing is due.  When the oldest frame is incomplete and
 * a newer complete frame is due, the old one is given up (dropped count)
 * and the newer one is returned with gap_before set. */
int vc_framebuf_get(struct vc_framebuf *fb, uint64_t now_us, struct vc_fb_frame *f);

/* Earliest render time of a buffered complete frame, or UINT64_MAX. */
uint64_t vc_framebuf_next_due(const struct vc_framebuf *fb);

uint64_t vc_framebuf_dropped(const struct vc_framebuf *fb); /* frames given up */
void vc_framebuf_set_target_ms(struct vc_framebuf *fb, uint32_t target_ms);
uint32_t vc_framebuf_target_ms(const struct vc_framebuf *fb);
void vc_framebuf_reset(struct vc_framebuf *fb);

#endif
