/* nodlclose.c - test-only LD_PRELOAD shim: dlclose() keeps the library.
 *
 * LeakSanitizer runs at exit, after SDL has unloaded Mesa and libasound its
 * plugins; memory that only those libraries' globals still pointed to is
 * then reported as leaked, from "<unknown module>", so it can be neither
 * understood nor suppressed.  Keeping every library mapped lets LSan see
 * those roots (and name any real leak), while vcalld's own allocations are
 * checked exactly as before.  Never used outside the sanitizer tests.
 */
int dlclose(void *handle);

int dlclose(void *handle)
{
	(void)handle;
	return 0;
}
