/*
 * libyaml events -> a tree of conf_node.  The tree keeps only what the
 * schema walker needs: kind, text, start mark, and the flags it must refuse
 * (anchors, tags).  Aliases are never expanded, so no input can make the
 * tree larger than itself.  Repeated keys are found here, once per mapping,
 * and reported by the walker, which knows the key path.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf/conf_int.h"

static struct conf_node *
conf_node_new(struct conf_cx *cx, enum conf_node_kind kind,
    const yaml_mark_t *mark, const void *str, size_t len)
{
	struct conf_node *n;

	if ((n = calloc(1, sizeof(*n) + len + 1)) == NULL) {
		cx->oom = true;
		return (NULL);
	}
	n->kind = kind;
	n->line = (unsigned)mark->line + 1;
	n->col = (unsigned)mark->column + 1;
	if (len > 0)
		memcpy(n->str, str, len);
	n->len = len;
	return (n);
}

/* Frees a node and everything under it.  Depth is bounded by the parser. */
void
conf_node_free(struct conf_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		conf_node_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static int
conf_node_add(struct conf_cx *cx, struct conf_node *parent,
    struct conf_node *kid)
{
	if (parent->nkids == parent->capkids) {
		struct conf_node **k;
		size_t cap = parent->capkids == 0 ? 4 :
		    parent->capkids * 2;

		if ((k = reallocarray(parent->kids, cap, sizeof(*k))) == NULL) {
			cx->oom = true;
			return (-1);
		}
		parent->kids = k;
		parent->capkids = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return (0);
}

static int
conf_key_cmp(const void *a, const void *b)
{
	const struct conf_node *x = *(const struct conf_node *const *)a;
	const struct conf_node *y = *(const struct conf_node *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c;

	if ((c = memcmp(x->str, y->str, n)) != 0)
		return (c);
	if (x->len != y->len)
		return (x->len < y->len ? -1 : 1);
	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	if (x->col != y->col)
		return (x->col < y->col ? -1 : 1);
	return (0);
}

/*
 * Points every repeated scalar key at its first occurrence.  Sorting keeps a
 * mapping with many keys from costing n^2 comparisons.
 */
static int
conf_map_dups(struct conf_cx *cx, struct conf_node *map)
{
	struct conf_node **keys;
	size_t i, j, n = 0;

	if (map->nkids < 4)
		return (0);
	if ((keys = calloc(map->nkids / 2, sizeof(*keys))) == NULL) {
		cx->oom = true;
		return (-1);
	}
	for (i = 0; i + 1 < map->nkids; i += 2)
		if (map->kids[i]->kind == CONF_N_SCALAR)
			keys[n++] = map->kids[i];
	qsort(keys, n, sizeof(*keys), conf_key_cmp);
	for (i = 1, j = 0; i < n; i++) {
		if (keys[i]->len == keys[j]->len &&
		    memcmp(keys[i]->str, keys[j]->str, keys[i]->len) == 0)
			keys[i]->first = keys[j];
		else
			j = i;
	}
	free(keys);
	return (0);
}

static void
conf_yaml_err(struct conf_cx *cx, const yaml_parser_t *p, const void *buf,
    size_t len)
{
	const unsigned char *b = buf;
	unsigned line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		cx->oom = true;
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader has no mark, only a byte offset. */
		size_t i;

		line = col = 1;
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (b[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
	} else {
		line = (unsigned)p->problem_mark.line + 1;
		col = (unsigned)p->problem_mark.column + 1;
	}
	if (p->context != NULL)
		conf_err_at(cx, "", line, col, "syntax error: %s (%s)",
		    p->problem ? p->problem : "unknown", p->context);
	else
		conf_err_at(cx, "", line, col, "syntax error: %s",
		    p->problem ? p->problem : "unknown");
}

/* Where conf_tree_parse is while it reads events. */
struct conf_tree {
	struct conf_node	*stack[CONF_DEPTH_MAX];	/* open collections */
	size_t			 depth;
	struct conf_node	*root;
	int			 ndocs;
	bool			 done;
};

/* Makes the node an event starts, or NULL if it starts none (or on error). */
static struct conf_node *
conf_tree_node(struct conf_cx *cx, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	struct conf_node *n = NULL;

	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		n = conf_node_new(cx, CONF_N_MAP, &ev->start_mark, NULL, 0);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		n = conf_node_new(cx, CONF_N_SEQ, &ev->start_mark, NULL, 0);
		break;
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		n = conf_node_new(cx, CONF_N_SCALAR, &ev->start_mark,
		    ev->data.scalar.value, ev->data.scalar.length);
		if (n != NULL &&
		    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			n->flags |= CONF_NF_PLAIN;
		break;
	case YAML_ALIAS_EVENT:
		n = conf_node_new(cx, CONF_N_ALIAS, &ev->start_mark, NULL, 0);
		break;
	default:
		break;
	}
	if (n != NULL && anchor != NULL)
		n->flags |= CONF_NF_ANCHOR;
	if (n != NULL && tag != NULL)
		n->flags |= CONF_NF_TAG;
	return (n);
}

/* Applies one event to the tree; -1 ends parsing (reported in cx). */
static int
conf_tree_event(struct conf_cx *cx, struct conf_tree *t,
    const yaml_event_t *ev)
{
	struct conf_node *n;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		t->done = true;
		return (0);
	case YAML_DOCUMENT_START_EVENT:
		if (++t->ndocs > 1) {
			conf_err_at(cx, "", (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1,
			    "only one YAML document is supported");
			return (-1);
		}
		return (0);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		if (t->depth == 0)
			return (0);	/* libyaml balances these */
		n = t->stack[--t->depth];
		return (n->kind == CONF_N_MAP ? conf_map_dups(cx, n) : 0);
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (t->depth == CONF_DEPTH_MAX) {
			conf_err_at(cx, "", (unsigned)ev->start_mark.line + 1,
			    (unsigned)ev->start_mark.column + 1,
			    "nested deeper than %d levels", CONF_DEPTH_MAX);
			return (-1);
		}
		break;
	default:
		break;
	}
	if ((n = conf_tree_node(cx, ev)) == NULL)
		return (cx->oom ? -1 : 0);
	if (t->depth > 0) {
		if (conf_node_add(cx, t->stack[t->depth - 1], n) == -1) {
			conf_node_free(n);
			return (-1);
		}
	} else if (t->root == NULL)
		t->root = n;
	else {
		conf_node_free(n);	/* libyaml allows one root */
		return (-1);
	}
	if (n->kind == CONF_N_MAP || n->kind == CONF_N_SEQ)
		t->stack[t->depth++] = n;
	return (0);
}

/*
 * Parses len bytes of YAML.  Returns the root node, or NULL: after an error
 * (recorded in cx) or for a file with no document (also recorded).
 */
struct conf_node *
conf_tree_parse(struct conf_cx *cx, const void *buf, size_t len)
{
	struct conf_tree t;
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	if (!yaml_parser_initialize(&p)) {
		cx->oom = true;
		return (NULL);
	}
	yaml_parser_set_input_string(&p, len > 0 ? buf : (const void *)"",
	    len);
	while (!t.done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			conf_yaml_err(cx, &p, buf, len);
			rc = -1;
			break;
		}
		rc = conf_tree_event(cx, &t, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == -1) {
		conf_node_free(t.root);
		return (NULL);
	}
	if (t.root == NULL)
		conf_err_at(cx, "", 1, 1, "empty file");
	return (t.root);
}
