/* vc_stats.c - format the per-second stats object. */
#include "vc_stats.h"

#include <inttypes.h>
#include <string.h>

#define LD(x) atomic_load(&s->x)

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
static void put_mean_ms(FILE *fp, const char *name, uint64_t sum, uint64_t n,
			uint64_t prev_sum, uint64_t prev_n)
{
	if (n > prev_n)
		fprintf(fp, ",\"%s\":%.1f", name, (double)(sum - prev_sum) / (double)(n - prev_n) / 1000.0);
	else
		fprintf(fp, ",\"%s\":null", name);
}

/* A latency figure, or null before the first measurement. */
static void put_ms(FILE *fp, const char *name, uint64_t us)
{
	if (us)
		fprintf(fp, ",\"%s\":%.1f", name, (double)us / 1000.0);
	else
		fprintf(fp, ",\"%s\":null", name);
}

void vc_stats_write(FILE *fp, struct vc_stats *s, const struct vc_stats_snapshot *snap,
		    struct vc_stats_prev *prev, uint64_t t0_us)
{
	double secs = (double)(snap->t_us - prev->t_us) / 1e6;
	uint64_t fe = LD(frames_encoded), vob = LD(video_out_bytes), aob = LD(audio_out_bytes);
	uint64_t fd = LD(frames_decoded), vib = LD(video_in_bytes), aib = LD(audio_in_bytes);

	fprintf(fp, "{\"t_ms\":%" PRIu64 ",\"state\":\"%s\"", (snap->t_us - t0_us) / 1000u, snap->state);
	if (snap->rtt_us > 0)
		fprintf(fp, ",\"rtt_ms\":%.2f", (double)snap->rtt_us / 1000.0);
	else
		fputs(",\"rtt_ms\":null", fp);

	fprintf(fp, ",\"video_out\":{\"frames_encoded\":%" PRIu64 ",\"fps\":%.1f,\"kbps\":%.1f,"
		    "\"target_kbps\":%u,\"width\":%d,\"height\":%d,\"keyframes\":%" PRIu64
		    ",\"nacks_received\":%" PRIu64 ",\"plis_received\":%" PRIu64 ",\"retransmitted\":%" PRIu64
		    ",\"rtx_over_budget\":%" PRIu64 ",\"frames_captured\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"camera_outages\":%" PRIu64 "}",
		fe, rate(fe, prev->frames_encoded, secs), rate(vob, prev->video_out_bytes, secs) * 8 / 1000,
		snap->video_kbps_target, snap->width, snap->height, LD(keyframes), LD(nacks_received),
		LD(plis_received), LD(retransmitted), LD(rtx_over_budget), LD(frames_captured), LD(video_out_packets),
		LD(camera_outages));

	fprintf(fp, ",\"video_in\":{\"packets\":%" PRIu64 ",\"packets_lost\":%" PRId64
		    ",\"jitter_ms\":%.2f,\"frames_decoded\":%" PRIu64 ",\"frames_dropped\":%" PRIu64
		    ",\"fps\":%.1f,\"kbps\":%.1f,\"freezes\":%" PRIu64 ",\"freeze_ms\":%" PRIu64,
		LD(video_in_packets), snap->in_lost[0], snap->in_jitter_ms[0], fd,
		LD(frames_dropped) + LD(frames_given_up), rate(fd, prev->frames_decoded, secs),
		rate(vib, prev->video_in_bytes, secs) * 8 / 1000, LD(freezes), LD(freeze_ms));
	put_ms(fp, "jb_delay_ms", LD(video_jb_us));
	fprintf(fp, ",\"jb_target_ms\":%u", LD(video_target_ms));
	uint64_t ves = LD(video_e2e_sum_us), ven = LD(video_e2e_n);
	uint64_t aes = LD(audio_e2e_sum_us), aen = LD(audio_e2e_n);
	put_mean_ms(fp, "e2e_latency_ms", ves, ven, prev->video_e2e_sum_us, prev->video_e2e_n);
	fprintf(fp, ",\"nacks_sent\":%" PRIu64 ",\"plis_sent\":%" PRIu64 ",\"width\":%u,\"height\":%u",
		LD(nacks_sent), LD(plis_sent), LD(width), LD(height));
	fprintf(fp, ",\"sync_extra_ms\":%u", LD(sync_video_extra_ms));
	put_ms(fp, "decode_ms", LD(decode_us));
	fputc('}', fp);

	fprintf(fp, ",\"audio_out\":{\"packets\":%" PRIu64 ",\"kbps\":%.1f,"
		    "\"mic_overflows\":%" PRIu64 ",\"mic_outages\":%" PRIu64 ",\"stale_dropped\":%" PRIu64
		    ",\"dtx_frames\":%" PRIu64,
		LD(audio_out_packets), rate(aob, prev->audio_out_bytes, secs) * 8 / 1000,
		LD(mic_overflows), LD(mic_outages), LD(audio_stale), LD(audio_dtx_frames));
	/* The echo canceller, when the source is a microphone. */
	if (snap->aec < 0)
		fputs(",\"aec\":null", fp);
	else
		fprintf(fp, ",\"aec\":{\"on\":%s,\"frames\":%" PRIu64 ",\"far_underruns\":%" PRIu64 "}",
			snap->aec ? "true" : "false", snap->aec_frames, snap->aec_far_underruns);
	fputc('}', fp);

	fprintf(fp, ",\"audio_in\":{\"packets\":%" PRIu64 ",\"packets_lost\":%" PRId64
		    ",\"jitter_ms\":%.2f,\"concealed_ms\":%" PRIu64 ",\"fec_recovered\":%" PRIu64
		    ",\"kbps\":%.1f,\"late\":%" PRIu64 ",\"played_ms\":%" PRIu64,
		LD(audio_in_packets), snap->in_lost[1], snap->in_jitter_ms[1], LD(concealed_us) / 1000u,
		LD(fec_recovered), rate(aib, prev->audio_in_bytes, secs) * 8 / 1000, LD(audio_late),
		LD(audio_played_us) / 1000u);
	fprintf(fp, ",\"jb_delay_ms\":%.1f,\"jb_target_ms\":%u", (double)LD(audio_jb_us) / 1000.0,
		snap->audio_jb_target_ms);
	put_mean_ms(fp, "e2e_latency_ms", aes, aen, prev->audio_e2e_sum_us, prev->audio_e2e_n);
	fprintf(fp, ",\"underflows\":%" PRIu64 ",\"speaker_outages\":%" PRIu64, LD(speaker_underflows),
		LD(speaker_outages));
	fprintf(fp, ",\"dtx_ms\":%" PRIu64 ",\"skipped\":%" PRIu64, LD(dtx_us) / 1000u, LD(audio_jb_skipped));
	/* Net time-stretch: > 0 the buffer played faster than real time. */
	uint64_t sin = LD(audio_stretch_in), sout = LD(audio_stretch_out);
	fprintf(fp, ",\"stretched_ms\":%.1f,\"sync_extra_ms\":%u",
		((double)sin - (double)sout) * 1000.0 / 48000.0, LD(sync_audio_extra_ms));
	if (snap->have_drift)
		fprintf(fp, ",\"drift_ppm\":%.1f}", snap->drift_ppm);
	else
		fputs(",\"drift_ppm\":null}", fp);

	/* Achieved lip sync: how much later video is shown than audio is
	 * heard, for media captured at the same time (positive: video late).
	 * Both latencies carry the same clock-offset estimate, which cancels. */
	if (ven > prev->video_e2e_n && aen > prev->audio_e2e_n) {
		double v = (double)(ves - prev->video_e2e_sum_us) / (double)(ven - prev->video_e2e_n);
		double a = (double)(aes - prev->audio_e2e_sum_us) / (double)(aen - prev->audio_e2e_n);
		fprintf(fp, ",\"av_sync_ms\":%.1f", (v - a) / 1000.0);
	} else {
		fputs(",\"av_sync_ms\":null", fp);
	}
	fprintf(fp, ",\"rejected\":{\"bad_source\":%" PRIu64 ",\"malformed\":%" PRIu64
		    ",\"auth_failed\":%" PRIu64 ",\"unknown_pt\":%" PRIu64 ",\"unknown_ssrc\":%" PRIu64
		    ",\"bad_sequence\":%" PRIu64 ",\"oversize\":%" PRIu64 ",\"duplicate\":%" PRIu64
		    ",\"late\":%" PRIu64 ",\"too_big\":%" PRIu64 ",\"overflow\":%" PRIu64
		    ",\"bye_unknown_ssrc\":%" PRIu64 "}",
		LD(rejected_bad_source), LD(rejected_malformed), LD(rejected_auth), LD(rejected_unknown_pt),
		LD(rejected_unknown_ssrc), LD(rejected_sequence), LD(rejected_oversize), LD(rejected_duplicate),
		LD(rejected_late), LD(rejected_too_big), LD(rejected_overflow), LD(rejected_bye));
	fprintf(fp, ",\"rtcp\":{\"sent\":%" PRIu64 ",\"received\":%" PRIu64 "}", LD(rtcp_sent),
		LD(rtcp_received));
	fprintf(fp, ",\"send\":{\"errors\":%" PRIu64 ",\"dropped\":%" PRIu64 "}", LD(send_errors),
		LD(send_dropped));
	fputs("}\n", fp);
	fflush(fp);

	prev->t_us = snap->t_us;
	prev->frames_encoded = fe;
	prev->video_out_bytes = vob;
	prev->audio_out_bytes = aob;
	prev->frames_decoded = fd;
	prev->video_in_bytes = vib;
	prev->audio_in_bytes = aib;
	prev->video_e2e_sum_us = ves;
	prev->video_e2e_n = ven;
	prev->audio_e2e_sum_us = aes;
	prev->audio_e2e_n = aen;
}
