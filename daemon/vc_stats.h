/* vc_stats.h - call statistics and the JSON Lines writer (--stats).
 *
 * Counters are C11 atomics bumped by whichever thread sees the event and
 * read once a second by the main thread; names in the output follow
 * DESIGN.md (getStats style).
 */
#ifndef VC_STATS_H
#define VC_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vc_stats {
	/* video out */
	_Atomic uint64_t frames_captured, frames_encoded, keyframes;
	_Atomic uint64_t video_out_packets, video_out_bytes;
	_Atomic uint64_t plis_received, nacks_received, retransmitted;
	_Atomic uint64_t rtx_over_budget; /* NACKs cut short by the retransmission budget */
	/* video in */
	_Atomic uint64_t video_in_packets, video_in_bytes;
	_Atomic uint64_t frames_decoded, frames_dropped, frames_given_up;
	_Atomic uint64_t freezes, freeze_ms;
	_Atomic uint64_t video_e2e_sum_us, video_e2e_n; /* capture -> render, summed */
	_Atomic uint64_t video_jb_us, decode_us;
	_Atomic uint32_t video_target_ms;
	_Atomic uint64_t plis_sent, nacks_sent;
	_Atomic uint32_t width, height;
	/* audio out */
	_Atomic uint64_t audio_out_packets, audio_out_bytes;
	/* devices: copied in by the thread that owns each device */
	_Atomic uint64_t camera_outages, mic_outages, mic_overflows, audio_stale;
	_Atomic uint64_t speaker_outages, speaker_underflows;
	/* audio in */
	_Atomic uint64_t audio_in_packets, audio_in_bytes, audio_late;
	_Atomic uint64_t concealed_us, fec_recovered, audio_played_us;
	_Atomic uint64_t audio_e2e_sum_us, audio_e2e_n; /* capture -> playout, summed */
	_Atomic uint64_t audio_jb_us, audio_jb_skipped, dtx_us;
	_Atomic uint32_t audio_target_ms;
	_Atomic uint64_t audio_stretch_in, audio_stretch_out; /* samples into / out of the stretcher */
	_Atomic uint64_t audio_dtx_frames;                    /* sent side: frames not sent (DTX) */
	_Atomic uint32_t sync_audio_extra_ms, sync_video_extra_ms;
	/* session */
	_Atomic uint64_t rtcp_sent, rtcp_received, send_errors, send_dropped;
	_Atomic uint64_t rejected_bad_source, rejected_malformed, rejected_unknown_pt;
	_Atomic uint64_t rejected_unknown_ssrc, rejected_sequence, rejected_auth;
	/* refusals past the parsers: a datagram over the 1200-byte profile,
	 * packets the frame or jitter buffer would not take, and a BYE that
	 * names none of the peer's current SSRCs */
	_Atomic uint64_t rejected_oversize, rejected_duplicate, rejected_late, rejected_too_big;
	_Atomic uint64_t rejected_overflow, rejected_bye;
};

/* What only the call can compute, gathered under its locks. */
struct vc_stats_snapshot {
	uint64_t t_us;
	const char *state;
	int64_t rtt_us;          /* < 0 or 0: unknown */
	uint32_t video_kbps_target;
	int width, height;       /* sent */
	uint32_t audio_jb_target_ms;
	bool have_drift;
	double drift_ppm;
	int aec;                 /* -1 none (not a microphone), 0 off (--no-aec), 1 on */
	uint64_t aec_frames, aec_far_underruns; /* 10 ms blocks cancelled / passed for lack of far end */
	bool in_active[2];       /* video, audio */
	int64_t in_lost[2];
	double in_jitter_ms[2];
};

/* Previous values for per-second rates. */
struct vc_stats_prev {
	uint64_t t_us;
	uint64_t frames_encoded, video_out_bytes, audio_out_bytes;
	uint64_t frames_decoded, video_in_bytes, audio_in_bytes;
	uint64_t video_e2e_sum_us, video_e2e_n, audio_e2e_sum_us, audio_e2e_n;
};

void vc_stats_init(struct vc_stats *s);
/* Write one JSON object and a newline; updates prev. */
void vc_stats_write(FILE *fp, struct vc_stats *s, const struct vc_stats_snapshot *snap,
		    struct vc_stats_prev *prev, uint64_t t0_us);

#endif
