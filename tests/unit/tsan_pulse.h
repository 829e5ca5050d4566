/* tsan_pulse.h - for tests that reach PulseAudio through PortAudio.
 *
 * ThreadSanitizer (VC_TSAN builds) reads this hook at start-up.  libpulse,
 * loaded by the ALSA pulse plugin, is not instrumented and syncs its threads
 * through its own lock-free pools, which TSan reports as races inside
 * libpulse/libpulsecommon only.  Races with a frame in our code still show.
 * Include in exactly one translation unit per test program.
 */
#ifndef TSAN_PULSE_H
#define TSAN_PULSE_H

const char *__tsan_default_suppressions(void);
const char *__tsan_default_suppressions(void)
{
	return "race:libpulsecommon\nrace:libpulse.so\n";
}

#endif
