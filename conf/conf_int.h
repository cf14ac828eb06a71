/*
 * conf: private to the folder.  The loader works in two passes: libyaml
 * events become a small tree of conf_node (conf_tree.c), then the schema
 * walker (conf_walk.c) turns the tree into a struct config.  Both passes
 * report into one conf_cx, which knows the file name and the key path.
 */
#ifndef V6F_CONF_INT_H
#define V6F_CONF_INT_H

#include <stdarg.h>

#include "conf/conf.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* bytes; larger input is an error */
#define CONF_DEPTH_MAX	32		/* nested collections */
#define CONF_PATH_MAX	512
#define CONF_HOST_MAX	256		/* 253-byte DNS name, brackets, NUL */

enum conf_node_kind {
	CONF_N_SCALAR = 0,
	CONF_N_SEQ,
	CONF_N_MAP,
	CONF_N_ALIAS,			/* kept only to be reported */
};

#define CONF_NF_PLAIN	0x01		/* unquoted scalar */
#define CONF_NF_ANCHOR	0x02
#define CONF_NF_TAG	0x04

struct conf_node {
	enum conf_node_kind	 kind;
	unsigned		 line;	/* 1-based */
	unsigned		 col;	/* 1-based */
	unsigned		 flags;
	const struct conf_node	*first;	/* a repeated mapping key: the first */
	struct conf_node	**kids;	/* seq: items; map: key, value, ... */
	size_t			 nkids;
	size_t			 capkids;
	size_t			 len;	/* scalar bytes, without the NUL */
	char			 str[];	/* scalar text, NUL-terminated */
};

struct conf_msg {
	unsigned	 line;		/* 0: about the whole file */
	unsigned	 col;
	size_t		 seq;		/* keeps the sort stable */
	char		*text;		/* the finished message */
};

/* One bind address as seen by the duplicate check. */
struct conf_bindref {
	size_t			 li;	/* listeners[li].bind[bi] */
	size_t			 bi;
	const struct conf_node	*node;
	bool			 alias;	/* 0.0.0.0:P implied by [::]:P */
	size_t			 id;	/* the same for a bind and its alias */
	int			 family;
	uint8_t			 addr[16];
	uint16_t		 port;
};

/* What the walker remembers about one listener until the end. */
struct conf_lx {
	const struct conf_node	*name;		/* the name value */
	const struct conf_node	*backend;	/* the backend value */
	size_t			 bidx;		/* into cfg->backends */
	bool			 has_backend;
	bool			 alog_set;	/* access_log given (maybe off) */
	bool			 alog_off;
};

struct conf_cx {
	const char		*name;		/* file name for messages */
	struct config		*cfg;		/* being built; owned */
	struct conf_msg		*msgs;
	size_t			 nmsgs;
	size_t			 capmsgs;
	size_t			 seq;
	bool			 full;		/* CONF_ERRS_MAX reached */
	bool			 oom;
	char			 path[CONF_PATH_MAX];
	size_t			 pathlen;
	struct conf_lx		*lx;		/* one per listener */
	struct conf_bindref	*binds;
	size_t			 nbinds;
	size_t			 capbinds;
	size_t			 nreal;		/* binds not aliases */
	size_t			 capbackends;
	size_t			 nnamed;	/* backends from `backends:` */
};

/* conf.c */
void	conf_err(struct conf_cx *, const struct conf_node *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	conf_err_at(struct conf_cx *, const char *path, unsigned line,
	    unsigned col, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	conf_free(struct config *);
void	conf_alog_free(struct conf_alog *);
void	conf_update_free(struct conf_tunnel_update *);

/* conf_tree.c */
struct conf_node *conf_tree_parse(struct conf_cx *, const void *, size_t);
void	conf_node_free(struct conf_node *);

/* conf_walk.c */
void	conf_walk(struct conf_cx *, const struct conf_node *);

/* conf_parse.c */
size_t	conf_quote(char *buf, size_t len, const char *s, size_t slen);
int	conf_uint_range(const char *what, const char *s, uint64_t lo,
	    uint64_t hi, uint64_t *out, char *err, size_t errlen);
int	conf_hostport(const char *s, bool names, char *host, size_t hostlen,
	    uint16_t *port, bool *literal, struct conf_sockaddr *sa,
	    char *err, size_t errlen);
void	conf_fmt6(const uint8_t *addr, char *buf, size_t len);

#endif
