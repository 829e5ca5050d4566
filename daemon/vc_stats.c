/* vc_stats.c - build and write the per-second stats object. */
#include "vc_stats.h"

#include "vc_json.h"

#include <string.h>

#define LD(x) atomic_load(&s->x)
/* A counter, by its output name and its struct vc_stats member. */
#define SET_LD(obj, name, member) vc_json_set_u64(obj, name, LD(member))

void vc_stats_init(struct vc_stats *s)
{
	memset(s, 0, sizeof(*s));
}

static double rate(uint64_t now, uint64_t before, double secs)
{
	return secs > 0 ? (double)(now - before) / secs : 0.0;
}

/* Mean of what was added to a (sum, count) pair since prev, in ms; null
 * when nothing was added (no frame shown or no packet played that second). */
static void put_mean_ms(json_t *o, const char *name, uint64_t sum, uint64_t n,
			uint64_t prev_sum, uint64_t prev_n)
{
	if (n > prev_n)
		vc_json_set_fixed(o, name, (double)(sum - prev_sum) / (double)(n - prev_n) / 1000.0, 1);
	else
		vc_json_set(o, name, json_null());
}

/* A latency figure, or null before the first measurement. */
static void put_ms(json_t *o, const char *name, uint64_t us)
{
	if (us)
		vc_json_set_fixed(o, name, (double)us / 1000.0, 1);
	else
		vc_json_set(o, name, json_null());
}

/* The stats object for the second from prev to cur (cur: the counters
 * behind the rates and means, loaded once by the caller). */
static json_t *stats_object(struct vc_stats *s, const struct vc_stats_snapshot *snap,
			    const struct vc_stats_prev *prev, const struct vc_stats_prev *cur,
			    uint64_t t0_us)
{
	double secs = (double)(cur->t_us - prev->t_us) / 1e6;
	json_t *o = json_object();

	vc_json_set_u64(o, "t_ms", (snap->t_us - t0_us) / 1000u);
	vc_json_set_str(o, "state", snap->state);
	if (snap->rtt_us > 0)
		vc_json_set_fixed(o, "rtt_ms", (double)snap->rtt_us / 1000.0, 2);
	else
		vc_json_set(o, "rtt_ms", json_null());

	json_t *vo = json_object();
	vc_json_set_u64(vo, "frames_encoded", cur->frames_encoded);
	vc_json_set_fixed(vo, "fps", rate(cur->frames_encoded, prev->frames_encoded, secs), 1);
	vc_json_set_fixed(vo, "kbps", rate(cur->video_out_bytes, prev->video_out_bytes, secs) * 8 / 1000, 1);
	vc_json_set_u64(vo, "target_kbps", snap->video_kbps_target);
	vc_json_set_i64(vo, "width", snap->width);
	vc_json_set_i64(vo, "height", snap->height);
	SET_LD(vo, "keyframes", keyframes);
	SET_LD(vo, "nacks_received", nacks_received);
	SET_LD(vo, "plis_received", plis_received);
	SET_LD(vo, "retransmitted", retransmitted);
	SET_LD(vo, "rtx_over_budget", rtx_over_budget);
	SET_LD(vo, "frames_captured", frames_captured);
	SET_LD(vo, "packets", video_out_packets);
	SET_LD(vo, "camera_outages", camera_outages);
	vc_json_set(o, "video_out", vo);

	json_t *vi = json_object();
	SET_LD(vi, "packets", video_in_packets);
	vc_json_set_i64(vi, "packets_lost", snap->in_lost[0]);
	vc_json_set_fixed(vi, "jitter_ms", snap->in_jitter_ms[0], 2);
	vc_json_set_u64(vi, "frames_decoded", cur->frames_decoded);
	vc_json_set_u64(vi, "frames_dropped", LD(frames_dropped) + LD(frames_given_up));
	vc_json_set_fixed(vi, "fps", rate(cur->frames_decoded, prev->frames_decoded, secs), 1);
	vc_json_set_fixed(vi, "kbps", rate(cur->video_in_bytes, prev->video_in_bytes, secs) * 8 / 1000, 1);
	SET_LD(vi, "freezes", freezes);
	SET_LD(vi, "freeze_ms", freeze_ms);
	put_ms(vi, "jb_delay_ms", LD(video_jb_us));
	SET_LD(vi, "jb_target_ms", video_target_ms);
	put_mean_ms(vi, "e2e_latency_ms", cur->video_e2e_sum_us, cur->video_e2e_n, prev->video_e2e_sum_us,
		    prev->video_e2e_n);
	SET_LD(vi, "nacks_sent", nacks_sent);
	SET_LD(vi, "plis_sent", plis_sent);
	SET_LD(vi, "width", width);
	SET_LD(vi, "height", height);
	SET_LD(vi, "sync_extra_ms", sync_video_extra_ms);
	put_ms(vi, "decode_ms", LD(decode_us));
	vc_json_set(o, "video_in", vi);

	json_t *ao = json_object();
	SET_LD(ao, "packets", audio_out_packets);
	vc_json_set_fixed(ao, "kbps", rate(cur->audio_out_bytes, prev->audio_out_bytes, secs) * 8 / 1000, 1);
	SET_LD(ao, "mic_overflows", mic_overflows);
	SET_LD(ao, "mic_outages", mic_outages);
	SET_LD(ao, "stale_dropped", audio_stale);
	SET_LD(ao, "dtx_frames", audio_dtx_frames);
	/* The echo canceller, when the source is a microphone. */
	if (snap->aec < 0) {
		vc_json_set(ao, "aec", json_null());
	} else {
		json_t *aec = json_object();
		vc_json_set(aec, "on", json_boolean(snap->aec));
		vc_json_set_u64(aec, "frames", snap->aec_frames);
		vc_json_set_u64(aec, "far_underruns", snap->aec_far_underruns);
		vc_json_set(ao, "aec", aec);
	}
	vc_json_set(o, "audio_out", ao);

	json_t *ai = json_object();
	SET_LD(ai, "packets", audio_in_packets);
	vc_json_set_i64(ai, "packets_lost", snap->in_lost[1]);
	vc_json_set_fixed(ai, "jitter_ms", snap->in_jitter_ms[1], 2);
	vc_json_set_u64(ai, "concealed_ms", LD(concealed_us) / 1000u);
	SET_LD(ai, "fec_recovered", fec_recovered);
	vc_json_set_fixed(ai, "kbps", rate(cur->audio_in_bytes, prev->audio_in_bytes, secs) * 8 / 1000, 1);
	SET_LD(ai, "late", audio_late);
	vc_json_set_u64(ai, "played_ms", LD(audio_played_us) / 1000u);
	vc_json_set_fixed(ai, "jb_delay_ms", (double)LD(audio_jb_us) / 1000.0, 1);
	vc_json_set_u64(ai, "jb_target_ms", snap->audio_jb_target_ms);
	put_mean_ms(ai, "e2e_latency_ms", cur->audio_e2e_sum_us, cur->audio_e2e_n, prev->audio_e2e_sum_us,
		    prev->audio_e2e_n);
	SET_LD(ai, "underflows", speaker_underflows);
	SET_LD(ai, "speaker_outages", speaker_outages);
	vc_json_set_u64(ai, "dtx_ms", LD(dtx_us) / 1000u);
	SET_LD(ai, "skipped", audio_jb_skipped);
	/* Net time-stretch: > 0 the buffer played faster than real time. */
	uint64_t sin = LD(audio_stretch_in), sout = LD(audio_stretch_out);
	vc_json_set_fixed(ai, "stretched_ms", ((double)sin - (double)sout) * 1000.0 / 48000.0, 1);
	SET_LD(ai, "sync_extra_ms", sync_audio_extra_ms);
	if (snap->have_drift)
		vc_json_set_fixed(ai, "drift_ppm", snap->drift_ppm, 1);
	else
		vc_json_set(ai, "drift_ppm", json_null());
	vc_json_set(o, "audio_in", ai);

	/* Achieved lip sync: how much later video is shown than audio is
	 * heard, for media captured at the same time (positive: video late).
	 * Both latencies carry the same clock-offset estimate, which cancels. */
	if (cur->video_e2e_n > prev->video_e2e_n && cur->audio_e2e_n > prev->audio_e2e_n) {
		double v = (double)(cur->video_e2e_sum_us - prev->video_e2e_sum_us) /
			   (double)(cur->video_e2e_n - prev->video_e2e_n);
		double a = (double)(cur->audio_e2e_sum_us - prev->audio_e2e_sum_us) /
			   (double)(cur->audio_e2e_n - prev->audio_e2e_n);
		vc_json_set_fixed(o, "av_sync_ms", (v - a) / 1000.0, 1);
	} else {
		vc_json_set(o, "av_sync_ms", json_null());
	}

	json_t *rej = json_object();
	SET_LD(rej, "bad_source", rejected_bad_source);
	SET_LD(rej, "malformed", rejected_malformed);
	SET_LD(rej, "auth_failed", rejected_auth);
	SET_LD(rej, "unknown_pt", rejected_unknown_pt);
	SET_LD(rej, "unknown_ssrc", rejected_unknown_ssrc);
	SET_LD(rej, "bad_sequence", rejected_sequence);
	SET_LD(rej, "oversize", rejected_oversize);
	SET_LD(rej, "duplicate", rejected_duplicate);
	SET_LD(rej, "late", rejected_late);
	SET_LD(rej, "too_big", rejected_too_big);
	SET_LD(rej, "overflow", rejected_overflow);
	SET_LD(rej, "bye_unknown_ssrc", rejected_bye);
	vc_json_set(o, "rejected", rej);

	json_t *rtcp = json_object();
	SET_LD(rtcp, "sent", rtcp_sent);
	SET_LD(rtcp, "received", rtcp_received);
	vc_json_set(o, "rtcp", rtcp);

	json_t *send = json_object();
	SET_LD(send, "errors", send_errors);
	SET_LD(send, "dropped", send_dropped);
	vc_json_set(o, "send", send);
	return o;
}

void vc_stats_write(FILE *fp, struct vc_stats *s, const struct vc_stats_snapshot *snap,
		    struct vc_stats_prev *prev, uint64_t t0_us)
{
	struct vc_stats_prev cur = {
		.t_us = snap->t_us,
		.frames_encoded = LD(frames_encoded),
		.video_out_bytes = LD(video_out_bytes),
		.audio_out_bytes = LD(audio_out_bytes),
		.frames_decoded = LD(frames_decoded),
		.video_in_bytes = LD(video_in_bytes),
		.audio_in_bytes = LD(audio_in_bytes),
		.video_e2e_sum_us = LD(video_e2e_sum_us),
		.video_e2e_n = LD(video_e2e_n),
		.audio_e2e_sum_us = LD(audio_e2e_sum_us),
		.audio_e2e_n = LD(audio_e2e_n),
	};
	json_t *o = stats_object(s, snap, prev, &cur, t0_us);

	vc_json_write_line(fp, o);
	json_decref(o);
	*prev = cur;
}
