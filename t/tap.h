/*
 * Minimal TAP producer for the C unit tests.  Header-only so each test is one
 * file; prove reads what it prints.  Plan is printed at the end (done_testing).
 */
#ifndef V6F_TAP_H
#define V6F_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void tap_vok(int pass, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
tap_vok(int pass, const char *fmt, va_list ap)
{
	tap_n++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

/* Records one test; returns pass so callers can add diagnostics. */
static int ok(int pass, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));
static int
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	return (pass);
}

/* Prints a "#" diagnostic line. */
static void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), unused));
static void
diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* String equality test; shows both sides on failure.  NULL is a value. */
static int
is_str(const char *got, const char *want, const char *name)
{
	int pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	ok(pass, "%s", name);
	if (!pass) {
		diag("     got: '%s'", got ? got : "(null)");
		diag("expected: '%s'", want ? want : "(null)");
	}
	return (pass);
}

/* Integer equality test; shows both sides on failure. */
static int
is_int(long long got, long long want, const char *name)
{
	int pass = got == want;

	ok(pass, "%s", name);
	if (!pass) {
		diag("     got: %lld", got);
		diag("expected: %lld", want);
	}
	return (pass);
}

/* Prints the plan; use as `return done_testing();` from main. */
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return (tap_failed ? 1 : 0);
}

#endif
