/*
 * Private to log/: the compiled program shared by the compiler (fmt.c), the
 * renderer (render.c) and the line parser (parse.c).
 */
#ifndef V6F_LOG_INT_H
#define V6F_LOG_INT_H

#include "log/log.h"

#define ALOG_COND_MAX	32	/* statuses in one condition list */

/* alog_item.flags */
#define ALOG_IF_NEGATE	0x01	/* condition list after '!' */
#define ALOG_IF_ORIG	0x02	/* '<': original request */
#define ALOG_IF_FINAL	0x04	/* '>': final request */
#define ALOG_IF_END	0x08	/* %{end:...}t */
#define ALOG_IF_PREFIX	0x10	/* %{begin:...}t: skip 6 bytes of param */
#define ALOG_IF_C	0x20	/* %{c}a, %{c}h */

/*
 * How the parser finds where a field ends when no literal follows it.
 * Fields followed by a literal ignore this, except ALOG_PC_TIME.
 */
enum alog_pclass {
	ALOG_PC_TEXT = 0,	/* anything: needs a literal after it */
	ALOG_PC_TOKEN,		/* never holds a space (address, method) */
	ALOG_PC_NUM,		/* digits, or "-" alone */
	ALOG_PC_TIME,		/* "[...]" */
};

/* One step of the program: a literal or a directive. */
struct alog_item {
	uint8_t		 id;		/* enum alog_dir; ALOG_D_LIT = text */
	uint8_t		 sub;		/* enum alog_time, alog_unit, ... */
	uint8_t		 flags;		/* ALOG_IF_* */
	uint8_t		 pclass;	/* enum alog_pclass */
	uint16_t	 ncond;		/* statuses in the condition */
	uint16_t	 cond;		/* first status in alog_fmt.cond */
	uint32_t	 off;		/* literal or NUL-terminated param */
	uint32_t	 len;		/* in alog_fmt.text */
};

struct alog_fmt {
	struct alog_item *item;
	size_t		 nitem;
	uint16_t	*cond;		/* all condition lists */
	char		*text;		/* literals, then NUL-ended params */
	char		*src;		/* the format text */
	uint32_t	*fitem;		/* item index of each field */
	size_t		 nfield;
	bool		 parsable;
};

/*
 * Escape table: 0 for a byte written as is, else the letter after the
 * backslash ('x' for \xhh).  Built from Apache 2.4's documented rules.
 */
extern const char alog_esc[256];

#endif
