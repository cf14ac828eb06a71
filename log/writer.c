/*
 * The access-log writer: whole lines from many worker threads into one file
 * or one syslog socket, without the event loops ever waiting for a disk.
 *
 * Each output has one buffer per worker ("slot"), guarded by a mutex only
 * that worker and the output's writer thread take, so appending a line is
 * an uncontended lock and a memcpy.  A full slot buffer goes onto the
 * output's queue; the writer thread takes queued buffers as they come and
 * every slot's partial buffer once a second, and writes each with write(2)
 * under O_APPEND.  A buffer holds whole lines only, so one write(2) puts
 * whole lines at the end of the file even while logrotate truncates it.
 *
 * A short write (ENOSPC, EIO) would leave part of a line: the writer
 * truncates the file back to the end of the last whole line it wrote and
 * counts the rest as dropped.  It keeps trying with the next buffer, so
 * logging resumes by itself once space is freed.  When the queue is full
 * (the disk is slower than the traffic), new lines are dropped and counted
 * instead of growing memory or blocking a worker.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"

#define ALOG_BUF_LEN	(64 * 1024)	/* one slot buffer */
#define ALOG_QUEUE_MAX	128		/* buffers waiting for the writer */
#define ALOG_TICK_MS	1000		/* slot buffers flushed this often */
#define ALOG_SYSLOG_MAX	8192		/* one datagram */

struct alog_buf {
	struct alog_buf	*next;
	size_t		 len;
	size_t		 nlines;
	char		 p[ALOG_BUF_LEN];
};

struct alog_slot {
	pthread_mutex_t	 mtx;
	struct alog_buf	*cur;		/* owned; NULL until the first line */
};

struct alog_out {
	char		*name;		/* path, or the syslog target text */
	bool		 syslog;
	struct sockaddr_storage ss;	/* syslog destination */
	socklen_t	 sslen;
	char		 host[256];	/* syslog HOSTNAME */
	long		 pid;
	int		 fd;		/* writer thread's; -1 when closed */
	struct alog_slot *slot;		/* owned; nslot */
	int		 nslot;
	pthread_t	 thr;
	bool		 started;

	pthread_mutex_t	 mtx;		/* guards what follows */
	pthread_cond_t	 cv;
	struct alog_buf	*qhead;		/* full buffers, oldest first */
	struct alog_buf	**qtail;
	size_t		 qlen;
	bool		 stop;
	bool		 reopen;
	uint64_t	 dropped;	/* lines, in all */
	uint64_t	 dropped_told;	/* what alog_report already said */
	int		 err;		/* errno of the last failure; 0 = ok */
	bool		 failing;	/* the last write failed */
	bool		 told_failing;	/* alog_report said so */
	int		 open_err;	/* reopen failed with this errno */
};

static size_t
alog_count_lines(const char *p, size_t len)
{
	size_t n = 0;
	const char *e = p + len;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		n++;
		p++;
	}
	return (n);
}

static void
alog_drop(struct alog_out *o, size_t lines, int err)
{
	if (lines == 0)
		return;
	pthread_mutex_lock(&o->mtx);
	o->dropped += lines;
	o->err = err;
	o->failing = true;
	pthread_mutex_unlock(&o->mtx);
}

static void
alog_ok(struct alog_out *o)
{
	pthread_mutex_lock(&o->mtx);
	o->failing = false;
	pthread_mutex_unlock(&o->mtx);
}

static int
alog_file_open(const char *path)
{
	return (open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
}

/*
 * Writes one buffer of whole lines to the file.  On a short write the
 * fragment of the interrupted line is cut off again with ftruncate: only
 * this thread writes this file, so its size before the write is where our
 * bytes began (logrotate's copytruncate may shrink it in between; then the
 * fragment stays, which the size check below avoids making worse).
 */
static void
alog_file_put(struct alog_out *o, struct alog_buf *b)
{
	struct stat	st;
	size_t		done = 0, whole;
	off_t		start = -1;
	const char	*nl;
	int		e = 0;

	if (o->fd == -1) {
		alog_drop(o, b->nlines, o->open_err ? o->open_err : EBADF);
		return;
	}
	if (fstat(o->fd, &st) == 0)
		start = st.st_size;
	while (done < b->len) {
		ssize_t n = write(o->fd, b->p + done, b->len - done);

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		e = n == 0 ? EIO : errno;
		break;
	}
	if (done == b->len) {
		alog_ok(o);
		return;
	}
	whole = 0;
	if (done > 0 && (nl = memrchr(b->p, '\n', done)) != NULL)
		whole = (size_t)(nl - b->p) + 1;
	if (done > whole && start >= 0 && fstat(o->fd, &st) == 0 &&
	    st.st_size == start + (off_t)done)
		(void)ftruncate(o->fd, start + (off_t)whole);
	alog_drop(o, b->nlines - alog_count_lines(b->p, whole), e);
}

/* The syslog socket, connected so that a missing server shows as errors. */
static int
alog_syslog_open(struct alog_out *o)
{
	int fd;

	fd = socket(o->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&o->ss, o->sslen) == -1) {
		int e = errno;

		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

/*
 * RFC 5424: "<134>1 2026-11-26T14:05:32.123Z host v6front 1234 - - MSG",
 * facility local0, severity info, one line per datagram.  Never waits: a
 * full socket buffer drops the line and counts it.
 */
static void
alog_syslog_put(struct alog_out *o, struct alog_buf *b)
{
	char		 d[ALOG_SYSLOG_MAX];
	struct timespec	 ts;
	struct tm	 tm;
	const char	*p = b->p, *e = b->p + b->len, *nl;
	size_t		 lost = 0;
	int		 err = 0, h;

	if (o->fd == -1 && (o->fd = alog_syslog_open(o)) == -1) {
		alog_drop(o, b->nlines, errno);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	h = snprintf(d, sizeof(d), "<134>1 %04d-%02d-%02dT%02d:%02d:%02d."
	    "%03ldZ %s v6front %ld - - ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, o->host, o->pid);
	for (; p < e && (nl = memchr(p, '\n', (size_t)(e - p))) != NULL;
	    p = nl + 1) {
		size_t len = (size_t)(nl - p);

		if (len > sizeof(d) - (size_t)h)
			len = sizeof(d) - (size_t)h;
		memcpy(d + h, p, len);
		if (send(o->fd, d, (size_t)h + len, MSG_NOSIGNAL) == -1) {
			err = errno;
			lost++;
		}
	}
	if (lost > 0) {
		alog_drop(o, lost, err);
		/* The server may come back at another address or inode. */
		if (err != EAGAIN) {
			close(o->fd);
			o->fd = -1;
		}
	} else
		alog_ok(o);
}

/* Takes every slot's buffer that holds lines. */
static struct alog_buf *
alog_take_slots(struct alog_out *o)
{
	struct alog_buf	*head = NULL, **tail = &head;
	int		 i;

	for (i = 0; i < o->nslot; i++) {
		pthread_mutex_lock(&o->slot[i].mtx);
		if (o->slot[i].cur != NULL && o->slot[i].cur->len > 0) {
			*tail = o->slot[i].cur;
			tail = &(*tail)->next;
			o->slot[i].cur = NULL;
		}
		pthread_mutex_unlock(&o->slot[i].mtx);
	}
	return (head);
}

static void
alog_put_list(struct alog_out *o, struct alog_buf *b)
{
	struct alog_buf *next;

	for (; b != NULL; b = next) {
		next = b->next;
		if (o->syslog)
			alog_syslog_put(o, b);
		else
			alog_file_put(o, b);
		free(b);
	}
}

/* rename+create: the path names a new file now; copytruncate needs nothing. */
static void
alog_do_reopen(struct alog_out *o)
{
	int fd, e = 0;

	if (o->syslog) {
		if (o->fd != -1)
			close(o->fd);
		o->fd = -1;
		return;
	}
	if ((fd = alog_file_open(o->name)) == -1)
		e = errno;
	else {
		if (o->fd != -1)
			close(o->fd);
		o->fd = fd;
	}
	pthread_mutex_lock(&o->mtx);
	o->open_err = e;
	pthread_mutex_unlock(&o->mtx);
}

static void *
alog_thread(void *arg)
{
	struct alog_out	*o = arg;
	struct timespec	 next, now;
	struct alog_buf	*q;
	bool		 stop, reopen, tick;

	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec += ALOG_TICK_MS / 1000;
	for (;;) {
		pthread_mutex_lock(&o->mtx);
		while (o->qhead == NULL && !o->stop && !o->reopen &&
		    pthread_cond_timedwait(&o->cv, &o->mtx, &next) == 0)
			;
		q = o->qhead;
		o->qhead = NULL;
		o->qtail = &o->qhead;
		o->qlen = 0;
		stop = o->stop;
		reopen = o->reopen;
		o->reopen = false;
		pthread_mutex_unlock(&o->mtx);

		alog_put_list(o, q);
		clock_gettime(CLOCK_REALTIME, &now);
		tick = now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec &&
		    now.tv_nsec >= next.tv_nsec);
		/* Lines written before the signal belong in the old file. */
		if (tick || stop || reopen)
			alog_put_list(o, alog_take_slots(o));
		if (tick) {
			next = now;
			next.tv_sec += ALOG_TICK_MS / 1000;
		}
		if (reopen)
			alog_do_reopen(o);
		if (stop)
			break;
	}
	/* Workers are gone; whatever is left was queued before stop. */
	pthread_mutex_lock(&o->mtx);
	q = o->qhead;
	o->qhead = NULL;
	pthread_mutex_unlock(&o->mtx);
	alog_put_list(o, q);
	return (NULL);
}

static struct alog_out *
alog_new(const char *name, int nslot, char *err, size_t errlen)
{
	struct alog_out	*o;
	int		 i;

	if (nslot < 1)
		nslot = 1;
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->name = strdup(name)) == NULL ||
	    (o->slot = calloc((size_t)nslot, sizeof(*o->slot))) == NULL) {
		if (o != NULL)
			free(o->name);
		free(o);
		snprintf(err, errlen, "%s: out of memory", name);
		return (NULL);
	}
	o->nslot = nslot;
	o->fd = -1;
	o->qtail = &o->qhead;
	o->pid = (long)getpid();
	for (i = 0; i < nslot; i++)
		pthread_mutex_init(&o->slot[i].mtx, NULL);
	pthread_mutex_init(&o->mtx, NULL);
	pthread_cond_init(&o->cv, NULL);
	return (o);
}

static int
alog_start(struct alog_out *o, char *err, size_t errlen)
{
	int e;

	if ((e = pthread_create(&o->thr, NULL, alog_thread, o)) != 0) {
		snprintf(err, errlen, "%s: writer thread: %s", o->name,
		    strerror(e));
		alog_close(o);
		return (-1);
	}
	o->started = true;
	return (0);
}

struct alog_out *
alog_open_file(const char *path, int nslot, char *err, size_t errlen)
{
	struct alog_out *o;

	if ((o = alog_new(path, nslot, err, errlen)) == NULL)
		return (NULL);
	if ((o->fd = alog_file_open(path)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		alog_close(o);
		return (NULL);
	}
	if (alog_start(o, err, errlen) == -1)
		return (NULL);
	return (o);
}

struct alog_out *
alog_open_syslog(const char *name, const struct sockaddr *sa, socklen_t len,
    int nslot, char *err, size_t errlen)
{
	struct alog_out *o;

	if (len > sizeof(o->ss)) {
		snprintf(err, errlen, "%s: address too long", name);
		return (NULL);
	}
	if ((o = alog_new(name, nslot, err, errlen)) == NULL)
		return (NULL);
	o->syslog = true;
	memcpy(&o->ss, sa, len);
	o->sslen = len;
	if (gethostname(o->host, sizeof(o->host) - 1) == -1 ||
	    o->host[0] == '\0')
		snprintf(o->host, sizeof(o->host), "-");
	/* RFC 5424 HOSTNAME is printable US-ASCII without spaces. */
	for (char *c = o->host; *c != '\0'; c++)
		if (*c <= ' ' || *c > '~')
			*c = '_';
	/* A syslog daemon not running yet is not fatal: lines are counted. */
	o->fd = alog_syslog_open(o);
	if (alog_start(o, err, errlen) == -1)
		return (NULL);
	return (o);
}

int
alog_write(struct alog_out *o, int slot, const char *line, size_t len)
{
	struct alog_slot	*s = &o->slot[(unsigned)slot % (unsigned)o->nslot];
	struct alog_buf		*b;

	if (len + 1 > ALOG_BUF_LEN) {
		alog_drop(o, 1, EMSGSIZE);
		return (-1);
	}
	pthread_mutex_lock(&s->mtx);
	if ((b = s->cur) != NULL && b->len + len + 1 > ALOG_BUF_LEN) {
		s->cur = NULL;
		pthread_mutex_lock(&o->mtx);
		if (o->qlen < ALOG_QUEUE_MAX) {
			b->next = NULL;
			*o->qtail = b;
			o->qtail = &b->next;
			o->qlen++;
			pthread_cond_signal(&o->cv);
			b = NULL;
		} else {
			/* The disk is behind: keep memory bounded. */
			o->dropped += b->nlines;
			o->failing = true;
			o->err = EAGAIN;
			b->len = 0;
			b->nlines = 0;
			s->cur = b;
		}
		pthread_mutex_unlock(&o->mtx);
	}
	if ((b = s->cur) == NULL) {
		if ((b = malloc(sizeof(*b))) == NULL) {
			pthread_mutex_unlock(&s->mtx);
			alog_drop(o, 1, ENOMEM);
			return (-1);
		}
		b->next = NULL;
		b->len = 0;
		b->nlines = 0;
		s->cur = b;
	}
	memcpy(b->p + b->len, line, len);
	b->p[b->len + len] = '\n';
	b->len += len + 1;
	b->nlines++;
	pthread_mutex_unlock(&s->mtx);
	return (0);
}

void
alog_reopen(struct alog_out *o)
{
	pthread_mutex_lock(&o->mtx);
	o->reopen = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mtx);
}

const char *
alog_out_name(const struct alog_out *o)
{
	return (o->name);
}

int
alog_report(struct alog_out *o, char *msg, size_t len)
{
	int level = 0;

	msg[0] = '\0';
	pthread_mutex_lock(&o->mtx);
	if (o->dropped > o->dropped_told) {
		snprintf(msg, len, "access log %s: %llu lines dropped (%s)",
		    o->name, (unsigned long long)(o->dropped - o->dropped_told),
		    o->err == EAGAIN ? "writer behind" : strerror(o->err));
		o->dropped_told = o->dropped;
		o->told_failing = true;
		level = CONF_LOG_WARNING;
	} else if (o->open_err != 0) {
		snprintf(msg, len, "access log %s: reopen: %s; still writing "
		    "to the old file", o->name, strerror(o->open_err));
		o->open_err = 0;
		level = CONF_LOG_WARNING;
	} else if (o->told_failing && !o->failing) {
		snprintf(msg, len, "access log %s: writing again", o->name);
		o->told_failing = false;
		level = CONF_LOG_NOTICE;
	}
	pthread_mutex_unlock(&o->mtx);
	return (level);
}

uint64_t
alog_dropped(struct alog_out *o)
{
	uint64_t n;

	pthread_mutex_lock(&o->mtx);
	n = o->dropped;
	pthread_mutex_unlock(&o->mtx);
	return (n);
}

void
alog_stop(struct alog_out *o)
{
	if (!o->started)
		return;
	pthread_mutex_lock(&o->mtx);
	o->stop = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mtx);
	pthread_join(o->thr, NULL);
	o->started = false;
}

void
alog_close(struct alog_out *o)
{
	int i;

	if (o == NULL)
		return;
	alog_stop(o);
	for (i = 0; i < o->nslot; i++) {
		free(o->slot[i].cur);
		pthread_mutex_destroy(&o->slot[i].mtx);
	}
	if (o->fd != -1)
		close(o->fd);
	pthread_mutex_destroy(&o->mtx);
	pthread_cond_destroy(&o->cv);
	free(o->slot);
	free(o->name);
	free(o);
}
