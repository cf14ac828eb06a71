/*
 * The daemon's own log on stderr: "2026-11-26T12:00:00.123Z warning: text".
 * Each line goes out in one write(2) so lines from worker threads never
 * interleave, whatever stderr is (a terminal, a pipe to journald, a file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/proxy.h"

#define PX_LOG_LINE_MAX	2048

static int px_log_level = CONF_LOG_INFO;

static const char *const px_level_names[] = {
	[CONF_LOG_CRIT] = "crit",
	[CONF_LOG_ERR] = "err",
	[CONF_LOG_WARNING] = "warning",
	[CONF_LOG_NOTICE] = "notice",
	[CONF_LOG_INFO] = "info",
	[CONF_LOG_DEBUG] = "debug",
};

void
px_log_set_level(enum conf_log_level level)
{
	__atomic_store_n(&px_log_level, (int)level, __ATOMIC_RELAXED);
}

bool
px_log_enabled(enum conf_log_level level)
{
	return ((int)level <= __atomic_load_n(&px_log_level, __ATOMIC_RELAXED));
}

/* Appends to line at *n, never past PX_LOG_LINE_MAX - 2 (room for "\n"). */
static void
px_log_append(char *line, size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
px_log_append(char *line, size_t *n, const char *fmt, va_list ap)
{
	size_t	room = PX_LOG_LINE_MAX - 1 - *n;
	int	r;

	if (room <= 1)
		return;
	r = vsnprintf(line + *n, room, fmt, ap);
	if (r > 0)
		*n += (size_t)r < room ? (size_t)r : room - 1;
}

static void
px_log_appendf(char *line, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
px_log_appendf(char *line, size_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	px_log_append(line, n, fmt, ap);
	va_end(ap);
}

static void
px_vlog(enum conf_log_level level, const char *suffix, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

static void
px_vlog(enum conf_log_level level, const char *suffix, const char *fmt,
    va_list ap)
{
	char		 line[PX_LOG_LINE_MAX];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n, i;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	px_log_appendf(line, &n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
	    px_level_names[level]);
	px_log_append(line, &n, fmt, ap);
	if (suffix != NULL)
		px_log_appendf(line, &n, ": %s", suffix);
	/* Keep the log one line per event, whatever the message held. */
	for (i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, n) == -1 && errno == EINTR)
		;
}

void
px_log(enum conf_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!px_log_enabled(level))
		return;
	va_start(ap, fmt);
	px_vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void
px_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 ebuf[128];
	int	 saved = errno;

	if (!px_log_enabled(CONF_LOG_WARNING))
		return;
	va_start(ap, fmt);
	px_vlog(CONF_LOG_WARNING, strerror_r(saved, ebuf, sizeof(ebuf)), fmt,
	    ap);
	va_end(ap);
	errno = saved;
}

void
px_warnx(const char *fmt, ...)
{
	va_list ap;

	if (!px_log_enabled(CONF_LOG_WARNING))
		return;
	va_start(ap, fmt);
	px_vlog(CONF_LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}
