/* The scenario loader's first pass: the file, read whole, into a tree of
 * sc_value with every node's position. libyaml's event parser drives it;
 * this pass enforces the structural limits (one document, no aliases,
 * nesting depth, number of values, file size, unique keys) so that the
 * schema never meets an unbounded input. */
#include "load_internal.h"

#include <yaml.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The tree being built from one file. */
typedef struct tree {
    sc_load *l;
    const unsigned char *buf; /* the whole file */
    size_t len;
    yaml_parser_t parser;
} tree;

static sc_pos mark_pos(yaml_mark_t m)
{
    sc_pos p = {m.line < INT_MAX ? (int)m.line + 1 : INT_MAX,
                m.column < INT_MAX ? (int)m.column + 1 : INT_MAX};
    return p;
}

/* A byte offset as a position, counting characters (not UTF-8 continuation
 * bytes) as libyaml's marks do; used for reader errors, which have no mark. */
static sc_pos offset_pos(const tree *t, size_t offset)
{
    sc_pos p = {1, 1};
    for (size_t i = 0; i < offset && i < t->len; i++) {
        if (t->buf[i] == '\n') {
            if (p.line < INT_MAX)
                p.line++;
            p.col = 1;
        } else if ((t->buf[i] & 0xC0) != 0x80 && p.col < INT_MAX) {
            p.col++;
        }
    }
    return p;
}

void kr__sc_value_free(sc_value *v)
{
    if (!v)
        return;
    free(v->text);
    if (v->keys)
        for (size_t i = 0; i < v->n; i++)
            free(v->keys[i]);
    if (v->items)
        for (size_t i = 0; i < v->n; i++)
            kr__sc_value_free(v->items[i]);
    free(v->keys);
    free(v->key_pos);
    free(v->items);
    free(v);
}

static int yaml_fail(tree *t)
{
    yaml_parser_t *p = &t->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return kr__sc_fail_nomem(t->l);
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_READER_ERROR) {
        sc_pos pos = offset_pos(t, p->problem_offset);
        if (p->problem_value >= 0)
            return kr__sc_fail(t->l, pos, "%s (#x%X)", problem, (unsigned)p->problem_value);
        return kr__sc_fail(t->l, pos, "%s", problem);
    }
    sc_pos pos = mark_pos(p->problem_mark);
    if (p->context) {
        sc_pos c = mark_pos(p->context_mark);
        return kr__sc_fail(t->l, pos, "%s (%s at %d:%d)", problem, p->context, c.line, c.col);
    }
    return kr__sc_fail(t->l, pos, "%s", problem);
}

static int next_event(tree *t, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&t->parser, ev))
        return yaml_fail(t);
    return 0;
}

/* The next event of a list or mapping; END (consumed) at `end`. */
enum { END = 1 };
static int next_item(tree *t, yaml_event_t *ev, yaml_event_type_t end)
{
    int rc = next_event(t, ev);
    if (rc)
        return rc;
    if (ev->type != end)
        return 0;
    yaml_event_delete(ev);
    return END;
}

static int new_value(tree *t, sc_kind kind, sc_pos pos, sc_value **out)
{
    if (++t->l->n_values > SC_VALUES_MAX)
        return kr__sc_fail(t->l, pos, "too many YAML values (the limit is %d)", SC_VALUES_MAX);
    sc_value *v = calloc(1, sizeof *v);
    if (!v)
        return kr__sc_fail_nomem(t->l);
    v->kind = kind;
    v->pos = pos;
    *out = v;
    return 0;
}

static int build(tree *t, yaml_event_t *ev, int depth, sc_value **out);

static int build_scalar(tree *t, yaml_event_t *ev, sc_value **out)
{
    sc_value *v = NULL; /* set by new_value unless it fails (gcc -O3 cannot tell) */
    int rc = new_value(t, SC_SCALAR, mark_pos(ev->start_mark), &v);
    if (rc)
        return rc;
    /* The text may hold NUL bytes ("\0" escapes): len keeps its length. */
    v->len = ev->data.scalar.length;
    v->text = kr__sc_dup_n((const char *)ev->data.scalar.value, v->len);
    if (!v->text) {
        free(v);
        return kr__sc_fail_nomem(t->l);
    }
    *out = v;
    return 0;
}

static int build_list(tree *t, sc_value *v, int depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        int rc = next_item(t, &ev, YAML_SEQUENCE_END_EVENT);
        if (rc)
            return rc == END ? 0 : rc;
        sc_value **items = kr__sc_grow(v->items, &cap, v->n, sizeof *items, 4);
        if (!items) {
            yaml_event_delete(&ev);
            return kr__sc_fail_nomem(t->l);
        }
        v->items = items;
        rc = build(t, &ev, depth + 1, &v->items[v->n]);
        if (rc)
            return rc;
        v->n++;
    }
}

/* Adds one key of a mapping being built (its value comes next). */
static int add_key(tree *t, sc_value *v, yaml_event_t *key, size_t *cap)
{
    sc_pos pos = mark_pos(key->start_mark);
    if (key->type != YAML_SCALAR_EVENT) {
        bool alias = key->type == YAML_ALIAS_EVENT;
        yaml_event_delete(key);
        return kr__sc_fail(t->l, pos,
                    alias ? "aliases are not supported: write the value out"
                          : "mapping keys must be scalars, not lists or mappings");
    }
    size_t len = key->data.scalar.length;
    const char *text = (const char *)key->data.scalar.value;
    if (memchr(text, '\0', len)) {
        yaml_event_delete(key);
        return kr__sc_fail(t->l, pos, "a key must not contain a NUL byte");
    }
    /* The three arrays grow in step: each from the same capacity, and the
     * capacity counts only once all three have it. */
    size_t c1 = *cap, c2 = *cap, c3 = *cap;
    char **keys = kr__sc_grow(v->keys, &c1, v->n, sizeof *keys, 4);
    if (keys)
        v->keys = keys;
    sc_pos *key_pos = keys ? kr__sc_grow(v->key_pos, &c2, v->n, sizeof *key_pos, 4) : NULL;
    if (key_pos)
        v->key_pos = key_pos;
    sc_value **items = key_pos ? kr__sc_grow(v->items, &c3, v->n, sizeof *items, 4) : NULL;
    if (!items) {
        yaml_event_delete(key);
        return kr__sc_fail_nomem(t->l);
    }
    v->items = items;
    *cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    char *copy = kr__sc_dup_n(text, len);
    yaml_event_delete(key);
    if (!copy)
        return kr__sc_fail_nomem(t->l);
    v->keys[v->n] = copy;
    v->key_pos[v->n] = pos;
    v->items[v->n] = NULL;
    return 0;
}

typedef struct key_ref {
    const char *key;
    size_t index;
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate keys, found by sorting (a mapping may be large): reports the
 * repeat that comes first in the file. */
static int check_duplicate_keys(tree *t, const sc_value *v)
{
    if (v->n < 2)
        return 0;
    key_ref *refs = malloc(v->n * sizeof *refs);
    if (!refs)
        return kr__sc_fail_nomem(t->l);
    for (size_t i = 0; i < v->n; i++)
        refs[i] = (key_ref){v->keys[i], i};
    qsort(refs, v->n, sizeof *refs, key_ref_cmp);
    size_t worst = SIZE_MAX, first = 0;
    for (size_t i = 1; i < v->n; i++) {
        if (strcmp(refs[i].key, refs[i - 1].key) == 0 && refs[i].index < worst) {
            worst = refs[i].index;
            first = refs[i - 1].index;
        }
    }
    free(refs);
    if (worst == SIZE_MAX)
        return 0;
    sc_pos f = v->key_pos[first];
    return kr__sc_fail(t->l, v->key_pos[worst], "duplicate key '%s' (first at %d:%d)", v->keys[worst],
                f.line, f.col);
}

static int build_map(tree *t, sc_value *v, int depth)
{
    size_t cap = 0;
    for (;;) {
        yaml_event_t ev;
        int rc = next_item(t, &ev, YAML_MAPPING_END_EVENT);
        if (rc)
            return rc == END ? check_duplicate_keys(t, v) : rc;
        rc = add_key(t, v, &ev, &cap);
        if (rc)
            return rc;
        v->n++; /* the key is owned now; its value is filled in below */
        rc = next_event(t, &ev);
        if (rc)
            return rc;
        rc = build(t, &ev, depth + 1, &v->items[v->n - 1]);
        if (rc)
            return rc;
    }
}

/* Builds the node that starts with *ev (consumed). */
static int build(tree *t, yaml_event_t *ev, int depth, sc_value **out)
{
    sc_pos pos = mark_pos(ev->start_mark);
    *out = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        int rc = build_scalar(t, ev, out);
        yaml_event_delete(ev);
        return rc;
    }
    yaml_event_type_t type = ev->type;
    yaml_event_delete(ev);
    if (type == YAML_ALIAS_EVENT)
        return kr__sc_fail(t->l, pos, "aliases are not supported: write the value out");
    if (type != YAML_SEQUENCE_START_EVENT && type != YAML_MAPPING_START_EVENT)
        return kr__sc_fail(t->l, pos, "unexpected YAML event");
    if (depth >= SC_DEPTH_MAX)
        return kr__sc_fail(t->l, pos, "nesting deeper than %d levels", SC_DEPTH_MAX);
    sc_value *v = NULL; /* set by new_value unless it fails (gcc -O3 cannot tell) */
    int rc = new_value(t, type == YAML_MAPPING_START_EVENT ? SC_MAP : SC_LIST, pos, &v);
    if (rc)
        return rc;
    rc = v->kind == SC_MAP ? build_map(t, v, depth) : build_list(t, v, depth);
    if (rc) {
        kr__sc_value_free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* Expects one event of `type` (stream/document framing). */
static int expect_event(tree *t, yaml_event_type_t type, yaml_event_t *ev)
{
    int rc = next_event(t, ev);
    if (rc)
        return rc;
    if (ev->type != type) {
        sc_pos pos = mark_pos(ev->start_mark);
        yaml_event_delete(ev);
        return kr__sc_fail(t->l, pos, "unexpected YAML event");
    }
    return 0;
}

/* The file's one document as a tree. */
static int build_document(tree *t, sc_value **root)
{
    yaml_event_t ev;
    int rc = expect_event(t, YAML_STREAM_START_EVENT, &ev);
    if (rc)
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(t, &ev)))
        return rc;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return kr__sc_fail(t->l, (sc_pos){1, 1}, "empty scenario file (nothing but comments or blanks)");
    }
    sc_pos doc = mark_pos(ev.start_mark); /* DOCUMENT-START: libyaml checked the order */
    yaml_event_delete(&ev);
    if ((rc = next_event(t, &ev)))
        return rc;
    if ((rc = build(t, &ev, 0, root)))
        return rc;
    if ((*root)->kind == SC_SCALAR && (*root)->text[0] == '\0')
        return kr__sc_fail(t->l, doc, "empty scenario (the document has no content)");
    if ((rc = expect_event(t, YAML_DOCUMENT_END_EVENT, &ev)))
        return rc;
    yaml_event_delete(&ev);
    if ((rc = next_event(t, &ev)))
        return rc;
    sc_pos pos = mark_pos(ev.start_mark);
    bool more = ev.type != YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (more)
        return kr__sc_fail(t->l, pos, "a scenario file holds one YAML document; found a second one");
    return 0;
}

/* The whole file, at most SC_FILE_MAX bytes. */
static int read_file(sc_load *l, unsigned char **out, size_t *len)
{
    FILE *f = fopen(l->path, "rb");
    if (!f) {
        kr__sc_set_err(l, "%s: cannot open: %s", l->path, strerror(errno));
        return KR_EIO;
    }
    /* One byte past the limit tells a file that is too large. */
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    int rc = buf ? 0 : KR_ENOMEM;
    while (!rc) {
        if (n == cap) {
            if (cap > SC_FILE_MAX) {
                rc = KR_EFORMAT;
                break;
            }
            size_t cap2 = cap * 2 > SC_FILE_MAX + 1 ? SC_FILE_MAX + 1 : cap * 2;
            unsigned char *p = realloc(buf, cap2);
            if (!p) {
                rc = KR_ENOMEM;
                break;
            }
            buf = p;
            cap = cap2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!rc && ferror(f)) {
        kr__sc_set_err(l, "%s: cannot read: %s", l->path, strerror(errno));
        rc = KR_EIO;
    } else if (rc == KR_EFORMAT) {
        kr__sc_set_err(l, "%s:1:1: file larger than %u bytes", l->path, SC_FILE_MAX);
    } else if (rc == KR_ENOMEM) {
        kr__sc_fail_nomem(l);
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

int kr__sc_tree_read(sc_load *l, sc_value **root)
{
    unsigned char *buf;
    size_t len;
    int rc = read_file(l, &buf, &len);
    if (rc)
        return rc;
    tree t = {.l = l, .buf = buf, .len = len};
    if (!yaml_parser_initialize(&t.parser)) {
        free(buf);
        return kr__sc_fail_nomem(l);
    }
    yaml_parser_set_input_string(&t.parser, buf, len);
    rc = build_document(&t, root);
    yaml_parser_delete(&t.parser);
    free(buf);
    return rc;
}
