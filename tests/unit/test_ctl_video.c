/* test_ctl_video.c - the video-side controllers on a fake clock, every
 * input and every expected output a literal: the render-delay policy
 * (vc_vdelay_target), the keyframe-request limiter (vc_kf_limiter_try,
 * also raced by two threads), the NACK decisions and the delay they drive
 * through vc_vrecv on a literal timeline (a hole, a hole never repaired, a
 * backlog after a stall, a sequence jump) and freeze counting
 * (vc_freeze_frame).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "vc_stats.h"
#include "vc_test.h"
#include "vc_vplay.h"
#include "vc_vrecv.h"

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

/* ---- vc_vdelay_target --------------------------------------------------- */

static void test_vdelay_table(void)
{
	static const struct {
		struct vc_vdelay_in in; /* now, fixed, jitter, sync, last nack, rtt */
		uint32_t want_ms;
	} t[] = {
		{ { 5000000, 0, 30, 0, 0, 0 }, 30 },             /* adaptive */
		{ { 5000000, 0, 30, 0, 0, 40000 }, 30 },         /* an RTT alone changes nothing */
		{ { 5000000, 80, 30, 0, 0, 0 }, 80 },            /* fixed: the jitter is ignored */
		{ { 5000000, 80, 30, 15, 0, 0 }, 95 },           /* fixed + lip sync */
		{ { 5000000, 0, 45, 15, 0, 0 }, 60 },            /* adaptive + lip sync */
		{ { 5000000, 0, 30, 0, 5000000, 40000 }, 100 },  /* NACKed now: rtt 40 + 60 */
		{ { 14999999, 0, 30, 0, 5000000, 40000 }, 100 }, /* 1 us before the 10 s hold ends */
		{ { 15000000, 0, 30, 0, 5000000, 40000 }, 30 },  /* the hold is over */
		{ { 5000000, 0, 30, 0, 4000000, 0 }, 160 },      /* no RTT yet: 100 ms assumed */
		{ { 5000000, 0, 30, 0, 4000000, 999 }, 60 },     /* under 1 ms: only the 60 */
		{ { 5000000, 0, 30, 0, 4000000, 340000 }, 400 }, /* 340 + 60: the cap exactly */
		{ { 5000000, 0, 30, 0, 4000000, 341000 }, 400 }, /* capped */
		{ { 5000000, 0, 30, 0, 4000000, 5000000 }, 400 },
		{ { 5000000, 0, 120, 0, 4000000, 40000 }, 120 }, /* jitter above the NACK need */
		{ { 5000000, 0, 30, 50, 4000000, 40000 }, 100 }, /* 80 < 100 */
		{ { 5000000, 0, 30, 80, 4000000, 40000 }, 110 }, /* jitter + sync above it */
		{ { 5000000, 50, 30, 0, 4000000, 40000 }, 100 }, /* NACKing overrides a small fixed delay */
		{ { 5000000, 300, 30, 0, 4000000, 40000 }, 300 },
		{ { 5000000, 0, 390, 400, 4000000, 40000 }, 790 }, /* the cap is the NACK need's only */
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		uint32_t w = vc_vdelay_target(&t[i].in);
		if (w != t[i].want_ms)
			fprintf(stderr, "  vdelay row %zu: %u, want %u\n", i, w, t[i].want_ms);
		CHECK_EQ(w, t[i].want_ms);
	}
}

/* ---- vc_kf_limiter_try ------------------------------------------------ */

static void test_kf_limiter_table(void)
{
	static const struct {
		uint64_t now_us;
		bool sent;
		uint64_t last_after;
	} t[] = {
		{ 1000000, true, 1000000 },  /* the first request */
		{ 1000000, false, 1000000 }, /* the same moment */
		{ 1249999, false, 1000000 }, /* within 250 ms */
		{ 1250000, true, 1250000 },  /* 250 ms on */
		/* A thread that read the clock before the last request was
		 * made: that request is newer than this one, so it is within
		 * 250 ms too (and the limiter's time does not go back). */
		{ 1249000, false, 1250000 },
		{ 1000000, false, 1250000 },
		{ 1499999, false, 1250000 },
		{ 1500000, true, 1500000 },
		{ 9000000, true, 9000000 },
	};
	_Atomic uint64_t last = 0;

	for (size_t i = 0; i < N_OF(t); i++) {
		bool s = vc_kf_limiter_try(&last, t[i].now_us, VC_PLI_MIN_INTERVAL_US);
		if (s != t[i].sent)
			fprintf(stderr, "  limiter row %zu: %d\n", i, s);
		CHECK_EQ(s, t[i].sent);
		CHECK_EQ(atomic_load(&last), t[i].last_after);
	}
}

struct racer {
	_Atomic uint64_t *last;
	_Atomic int *go, *wins;
	uint64_t now_us;
};

static void *racer(void *arg)
{
	struct racer *r = arg;

	while (!atomic_load(r->go))
		;
	if (vc_kf_limiter_try(r->last, r->now_us, VC_PLI_MIN_INTERVAL_US))
		atomic_fetch_add(r->wins, 1);
	return NULL;
}

/* Two threads (the receive thread on a sequence jump, playout on a broken
 * reference chain) ask at once, 1000 rounds.  Exactly one request goes out
 * a round, whether they read the same 'now' or one read it 1 ms before the
 * other; from a fresh limiter and from one whose last request has just
 * aged out. */
static int race_rounds(uint64_t start_last, uint64_t now0, uint64_t now1)
{
	int bad = 0;

	for (int round = 0; round < 1000; round++) {
		_Atomic uint64_t last = start_last;
		_Atomic int go = 0, wins = 0;
		struct racer r[2] = { { &last, &go, &wins, round & 1 ? now1 : now0 },
				      { &last, &go, &wins, round & 1 ? now0 : now1 } };
		pthread_t th[2];

		for (int k = 0; k < 2; k++)
			if (pthread_create(&th[k], NULL, racer, &r[k]) != 0)
				return -1;
		atomic_store(&go, 1);
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		bad += atomic_load(&wins) != 1;
	}
	return bad;
}

static void test_kf_limiter_race(void)
{
	CHECK_EQ(race_rounds(0, 7000000, 7000000), 0);
	CHECK_EQ(race_rounds(6750000, 7000000, 7000000), 0);
	CHECK_EQ(race_rounds(0, 7000000, 7001000), 0);
	CHECK_EQ(race_rounds(6750000, 7000000, 7001000), 0);
}

/* ---- NACK decisions through vc_vrecv --------------------------------- */

static const uint8_t payload[100];

/* Frames of two packets: even seq starts a frame, odd ends it. */
static bool put(struct vc_vrecv *v, uint16_t seq, uint64_t arrival_us)
{
	struct vc_fb_pkt_info pi = { .seq = seq, .ts = 3000u * (uint32_t)(seq / 2), .marker = seq & 1,
				     .frame_start = !(seq & 1), .keyframe = seq == 100, .picture_id = -1,
				     .arrival_us = arrival_us };

	return vc_vrecv_put(v, &pi, payload, sizeof(payload));
}

/* One step of the receive thread's timeline: collect NACKs at now (RTT
 * 40 ms) and check what was asked for, the render delay and when to look
 * again. */
struct nack_row {
	uint64_t now_us;
	int nseq;       /* NACKs expected */
	uint16_t seq0;  /* the first one */
	uint32_t target_ms;
	uint64_t next_us;
};

static void run_nacks(struct vc_vrecv *v, struct vc_stats *st, const char *name, const struct nack_row *t,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t seqs[16];
		uint64_t next = 0;
		unsigned got = vc_vrecv_nacks(v, t[i].now_us, 40000, seqs, 16, &next);
		uint32_t target = atomic_load(&st->video_target_ms);

		if ((int)got != t[i].nseq || target != t[i].target_ms || next != t[i].next_us)
			fprintf(stderr, "  %s row %zu: %u nacks, target %u, next %llu\n", name, i, got, target,
				(unsigned long long)next);
		CHECK_EQ(got, t[i].nseq);
		if (got && t[i].nseq)
			CHECK_EQ(seqs[0], t[i].seq0);
		CHECK_EQ(target, t[i].target_ms);
		CHECK_EQ(next, t[i].next_us);
	}
}

/* A hole (seq 104) repaired by the second NACK.  Packets arrive 1 ms
 * apart from 10.000 s; 105 shows the hole at 10.005.  First NACK after the
 * 5 ms reorder wait, the retry one 50 ms interval (5/4 RTT) later; the
 * render delay covers RTT + 60 ms while NACKing and falls back 10 s after
 * the last NACK. */
static void test_vrecv_hole_repaired(void)
{
	struct vc_stats st;
	struct vc_vrecv *v;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(vc_vrecv_new(&v, 0, &st), 0);
	for (uint16_t s = 100; s < 110; s++)
		if (s != 104)
			CHECK(!put(v, s, 10000000u + (uint64_t)(s - 100) * 1000u));
	static const struct nack_row a[] = {
		{ 10009000, 0, 0, 30, 10010000 },   /* not yet: the reorder wait */
		{ 10009999, 0, 0, 30, 10010000 },
		{ 10010000, 1, 104, 100, 10060000 }, /* the first NACK; the delay rises */
		{ 10030000, 0, 0, 100, 10060000 },
		{ 10059999, 0, 0, 100, 10060000 },
		{ 10060000, 1, 104, 100, 10110000 }, /* the retry */
	};
	run_nacks(v, &st, "repaired", a, N_OF(a));
	/* the retransmission */
	CHECK(!put(v, 104, 10070000));
	static const struct nack_row b[] = {
		{ 10110000, 0, 0, 100, 20060000 },   /* nothing to ask; next: the hold's end */
		{ 15000000, 0, 0, 100, 20060000 },
		{ 20059999, 0, 0, 100, 20060000 },
		{ 20060000, 0, 0, 30, UINT64_MAX },  /* 10 s after the last NACK */
	};
	run_nacks(v, &st, "repaired", b, N_OF(b));
	/* the same packet again: refused as a duplicate */
	put(v, 104, 20070000);
	CHECK_EQ(atomic_load(&st.rejected_duplicate), 1);
	vc_vrecv_free(v);
}

/* A hole never repaired: five NACKs (at +5, +55, +105, +155, +205 ms of
 * being seen), dropped after its last had one more interval; the delay
 * falls back 10 s after the fifth.  Then lip sync's extra adds to the
 * jitter estimate. */
static void test_vrecv_hole_lost(void)
{
	struct vc_stats st;
	struct vc_vrecv *v;
	uint16_t seqs[16];
	uint64_t next;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(vc_vrecv_new(&v, 0, &st), 0);
	vc_vrecv_set_jitter_ms(v, 40);
	for (uint16_t s = 100; s < 110; s++)
		if (s != 107)
			CHECK(!put(v, s, 30000000u + (uint64_t)(s - 100) * 1000u));
	/* 108 at 30.008 shows the hole */
	static const struct nack_row a[] = {
		{ 30012999, 0, 0, 40, 30013000 },
		{ 30013000, 1, 107, 100, 30063000 },
		{ 30063000, 1, 107, 100, 30113000 },
		{ 30113000, 1, 107, 100, 30163000 },
		{ 30163000, 1, 107, 100, 30213000 },
		{ 30213000, 1, 107, 100, 40213000 }, /* the fifth and last */
		{ 30262999, 0, 0, 100, 40213000 },
		{ 30263000, 0, 0, 100, 40213000 },   /* dropped */
		{ 40212999, 0, 0, 100, 40213000 },
		{ 40213000, 0, 0, 40, UINT64_MAX },
	};
	run_nacks(v, &st, "lost", a, N_OF(a));
	/* lip sync adds 75 ms: 40 + 75 > what a NACK needs */
	vc_vrecv_set_sync_extra_ms(v, 75);
	CHECK_EQ(vc_vrecv_nacks(v, 40300000, 40000, seqs, 16, &next), 0);
	CHECK_EQ(atomic_load(&st.video_target_ms), 115);
	vc_vrecv_free(v);
}

/* A backlog after a stall: nothing for 3 s, then 300 packets in order, all
 * read at one instant.  No hole, so no NACK and no keyframe request. */
static void test_vrecv_backlog(void)
{
	struct vc_stats st;
	struct vc_vrecv *v;
	uint16_t seqs[256];
	uint64_t next;

	memset(&st, 0, sizeof(st));
	CHECK_EQ(vc_vrecv_new(&v, 0, &st), 0);
	for (uint16_t s = 100; s < 110; s++)
		CHECK(!put(v, s, 1000000u + (uint64_t)(s - 100) * 1000u));
	int restarts = 0;
	for (uint16_t s = 110; s < 410; s++)
		restarts += put(v, s, 4000000u);
	CHECK_EQ(restarts, 0);
	unsigned total = 0;
	for (uint64_t t = 4000000u; t <= 6000000u; t += 10000u)
		total += vc_vrecv_nacks(v, t, 40000, seqs, 256, &next);
	CHECK_EQ(total, 0);
	CHECK_EQ(next, UINT64_MAX);
	CHECK_EQ(atomic_load(&st.video_target_ms), 30);
	vc_vrecv_free(v);
}

/* Sequence jumps.  Up to 256 ahead is a hole to NACK, of which the newest
 * 128 are remembered; past that (a stall the sender did not pause for, a
 * restarted sender) put asks for a keyframe and nothing is NACKed. */
static void test_vrecv_jumps(void)
{
	static const struct {
		uint16_t to;        /* after 100..109 at 1 ms apart */
		bool keyframe;
		unsigned first;     /* NACKs in the first collect (max 1024) */
		unsigned total;     /* over 2 s */
	} t[] = {
		{ 112, false, 2, 10 },        /* 110, 111: five each */
		{ 109 + 129, false, 128, 640 },
		{ 109 + 256, false, 128, 640 }, /* 255 missing: the newest 128 kept */
		{ 109 + 257, true, 0, 0 },     /* one more: a keyframe instead */
		{ 109 + 5000, true, 0, 0 },
		{ 9, false, 0, 0 },            /* 100 back: a stale packet, no hole, no restart */
		{ 60000, true, 0, 0 },         /* backwards by thousands (a restarted sender) */
	};
	for (size_t i = 0; i < N_OF(t); i++) {
		struct vc_stats st;
		struct vc_vrecv *v;
		static uint16_t seqs[1024];
		uint64_t next;

		memset(&st, 0, sizeof(st));
		CHECK_EQ(vc_vrecv_new(&v, 0, &st), 0);
		for (uint16_t s = 100; s < 110; s++)
			CHECK(!put(v, s, 1000000u + (uint64_t)(s - 100) * 1000u));
		bool kf = put(v, t[i].to, 1010000u);
		unsigned first = vc_vrecv_nacks(v, 1015000u, 40000, seqs, 1024, &next);
		unsigned total = first;
		for (uint64_t now = 1020000u; now <= 3015000u; now += 5000u)
			total += vc_vrecv_nacks(v, now, 40000, seqs, 1024, &next);
		if (kf != t[i].keyframe || first != t[i].first || total != t[i].total)
			fprintf(stderr, "  jump row %zu: keyframe %d, first %u, total %u\n", i, kf, first, total);
		CHECK_EQ(kf, t[i].keyframe);
		CHECK_EQ(first, t[i].first);
		CHECK_EQ(total, t[i].total);
		vc_vrecv_free(v);
	}
}

/* ---- vc_freeze_frame -------------------------------------------------- */

struct fz_row {
	uint32_t dt_us;    /* after the frame before (0: the first frame) */
	uint32_t repeat;   /* this many such frames */
	uint64_t freeze_ms; /* the sum of what they return */
};

static void run_freeze(const char *name, const struct fz_row *t, size_t n)
{
	struct vc_freeze fz = { 0 };
	uint64_t now = 1000000;

	for (size_t i = 0; i < n; i++) {
		uint64_t sum = 0;
		for (uint32_t k = 0; k < t[i].repeat; k++) {
			now += t[i].dt_us;
			sum += vc_freeze_frame(&fz, now);
		}
		if (sum != t[i].freeze_ms)
			fprintf(stderr, "  %s row %zu: %llu ms\n", name, i, (unsigned long long)sum);
		CHECK_EQ(sum, t[i].freeze_ms);
	}
}

static void test_freeze_traces(void)
{
	/* 30 fps, one 400 ms gap */
	static const struct fz_row a[] = {
		{ 0, 1, 0 },          /* the first frame */
		{ 33333, 90, 0 },     /* 3 s of 30 fps */
		{ 400000, 1, 400 },   /* one freeze of 400 ms */
		{ 33333, 1, 0 },
		{ 120000, 1, 0 },     /* 120 ms: under 150, not a freeze */
		{ 33333, 60, 0 },
		{ 150000, 1, 0 },     /* exactly 150: not more than it */
		{ 33333, 60, 0 },
		{ 150001, 1, 150 },
		{ 33333, 60, 0 },
		{ 2500000, 1, 2500 }, /* a 2.5 s stall */
	};
	run_freeze("30 fps", a, N_OF(a));
	/* The first frames are never a freeze, however far apart: there is
	 * no frame interval yet to compare with. */
	static const struct fz_row b[] = {
		{ 0, 1, 0 },
		{ 400000, 1, 0 },
		{ 400000, 1, 0 },
		{ 1000000, 1, 0 },
	};
	run_freeze("first frames", b, N_OF(b));
	/* 10 fps: the limit is 3 frame intervals (~300 ms), not 150. */
	static const struct fz_row c[] = {
		{ 0, 1, 0 },
		{ 100000, 60, 0 },
		{ 250000, 1, 0 },
		{ 100000, 60, 0 },
		{ 400000, 1, 400 },
	};
	run_freeze("10 fps", c, N_OF(c));
	/* a frame rendered at the same time as the one before, or earlier */
	struct vc_freeze fz = { 0 };
	CHECK_EQ(vc_freeze_frame(&fz, 5000000), 0);
	CHECK_EQ(vc_freeze_frame(&fz, 5033333), 0);
	CHECK_EQ(vc_freeze_frame(&fz, 5033333), 0);
	CHECK_EQ(vc_freeze_frame(&fz, 5000000), 0);
}

int main(void)
{
	RUN(test_vdelay_table);
	RUN(test_kf_limiter_table);
	RUN(test_kf_limiter_race);
	RUN(test_vrecv_hole_repaired);
	RUN(test_vrecv_hole_lost);
	RUN(test_vrecv_backlog);
	RUN(test_vrecv_jumps);
	RUN(test_freeze_traces);
	return vc_test_summary();
}
