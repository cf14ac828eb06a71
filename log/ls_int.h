/*
 * Private to log/: the figures logstat gathers (logstat.c) and its reports
 * read (lsreport.c).
 */
#ifndef V6F_LS_INT_H
#define V6F_LS_INT_H

#include <stdio.h>

#include "log/log.h"

#define LS_MALF_KEEP	10	/* malformed lines remembered by number */

/* Reasons a line is malformed, besides the ALOG_PERR_* codes. */
#define LS_ERR_ADDR	-20	/* client field is not an IP address */
#define LS_ERR_TIME	-21	/* time field is not a valid time */
#define LS_ERR_LONG	-22	/* longer than the read buffer */

/*
 * One key of a table and its counters.  Keys of up to 16 bytes (addresses,
 * prefixes, hours) are held in the entry, longer ones in the arena.  The
 * meaning of a and b depends on the table (see struct alog_ls).
 */
struct ls_ent {
	uint64_t	 hash;
	union {
		uint8_t		 in[16];
		const uint8_t	*p;
	} k;
	uint32_t	 klen;
	uint32_t	 used;		/* 0 = free slot */
	uint64_t	 n;		/* requests */
	uint64_t	 a;
	uint64_t	 b;
};

#define LS_KEY(e)	((e)->klen <= 16 ? (e)->k.in : (e)->k.p)

/*
 * A set of 16-byte addresses, 16 bytes a slot: the one table that grows
 * with the number of clients.  The all-zero key marks a free slot, so the
 * address :: is remembered apart.
 */
struct ls_set {
	uint8_t		(*k)[16];
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;		/* keys in k */
	bool		 zero;		/* :: seen */
};

#define LS_SET_COUNT(s)	((s)->n + (s)->zero)

/* Open addressing, linear probing, at most half full. */
struct ls_tab {
	struct ls_ent	*e;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

/* Key bytes of every table: freed all at once. */
struct ls_chunk {
	struct ls_chunk	*next;
	size_t		 used;
	size_t		 cap;
	uint8_t		 data[];
};

/* A top-N table of prefixes: n requests, a distinct clients, b bytes. */
struct ls_pfx {
	struct ls_tab	 tab;
	int		 len;		/* as asked */
	int		 eff;		/* bits kept: len cut by anonymize */
	int		 v6;		/* 1 IPv6, 0 IPv4 */
};

struct ls_malf {
	uint32_t	 file;		/* index in alog_ls.files */
	uint64_t	 line;		/* 1-based */
	int		 err;		/* ALOG_PERR_* or LS_ERR_* */
};

struct alog_ls {
	struct alog_ls_opts opts;
	struct alog_fmt	*fmt;
	struct alog_field *fld;
	struct alog_field *fld2;	/* the next line's, in blocks */
	size_t		 nfld;
	/* Field indexes in a parsed line, -1 when the format lacks one. */
	int		 fi_addr, fi_time, fi_req, fi_method, fi_path;
	int		 fi_status, fi_bytes, fi_ua;

	struct ls_chunk	*arena;
	bool		 oom;

	const char	**files;	/* names as given, borrowed */
	uint32_t	 nfiles;
	uint32_t	 cur;		/* what ls_malf.file names for the
					   lines counted now: the file, or
					   in a worker the block */
	uint64_t	 line;		/* line number in the current file
					   (in a worker: in the block) */

	uint64_t	 lines, parsed, malformed;
	struct ls_malf	 malf[LS_MALF_KEEP];
	size_t		 nmalf;

	/* [0] IPv4 (IPv4-mapped too), [1] IPv6 */
	uint64_t	 req[2];
	uint64_t	 bytes[2];
	uint64_t	 clients[2];

	struct ls_set	 cli;		/* addresses seen */
	struct ls_set	 p64;		/* IPv6 /64 prefixes seen */
	struct ls_pfx	 pfx[2 * ALOG_LS_PFX_MAX];
	int		 npfx;
	uint64_t	 status[600];	/* by code, 100-599 */
	uint64_t	 status_other;	/* "-" or outside 100-599 */
	struct ls_tab	 methods;	/* field text; n */
	struct ls_tab	 paths;		/* path without query; n */
	struct ls_tab	 uas;		/* User-Agent text; n */
	struct ls_tab	 hours;		/* int64 hour since the Epoch (UTC);
					   n requests, a IPv6, b bytes */

	/* The last %t text read and its time: one log second repeats. */
	char		 tcache[32];
	size_t		 tcachelen;
	int64_t		 tcacheval;
};

/*
 * The entries of t sorted by requests (most first), then by key bytes;
 * at most max of them (0: all).  Returns a malloc'd array of *n pointers
 * into t, or NULL (with *n 0) when t is empty or memory is short.
 */
const struct ls_ent **ls_top(const struct ls_tab *t, size_t max, size_t *n);

/* The hours table sorted by hour; as ls_top. */
const struct ls_ent **ls_hours(const struct ls_tab *t, size_t *n);

/* A prefix key as text, "2001:db8::/48" or "192.0.2.0/24". */
void	ls_pfx_text(const struct ls_pfx *, const uint8_t *key, char *buf,
	    size_t len);

/* Short English text for a malformed-line reason. */
const char	*ls_err_str(int err);

/* The reports; each returns 0, or -1 when writing to f failed. */
int	ls_report_text(const struct alog_ls *, FILE *f);
int	ls_report_json(const struct alog_ls *, FILE *f);
int	ls_report_html(const struct alog_ls *, FILE *f);

#endif
