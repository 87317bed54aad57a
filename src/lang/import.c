/*
 * import.c: loading a program: read files, follow imports, merge, expand.
 *
 * Each file is parsed once into a unit (files are keyed by their real path,
 * so a file reached twice through a diamond of imports is loaded once).
 * Loading a file first loads its imports, depth first, then builds the
 * file's "visible set": the commands, templates and bindings of its
 * imports, then its own. `import "p"` adds the imported set as is;
 * `import "p" as ns` adds copies of its commands and templates named
 * "ns.name", and renames the calls between them so they still find each
 * other. A name that reaches a visible set twice from different
 * declarations is a load error, and so is an import chain that comes back
 * to a file being loaded ("import cycle: a.perch -> b.perch -> a.perch").
 * Template calls in a file's own commands are expanded against its visible
 * set; imported commands were already expanded by their own file.
 *
 * The program is the main file's visible set, plus the catches, requires
 * entries, bundle includes and hooks of every loaded file.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/sbuf.h"
#include "base/xalloc.h"
#include "lang/lang_int.h"
#include "os/path.h"

/* A command or template, by address, for duplicate detection. */
struct entry {
    const char *name;
    struct lang_command *cmd;
    struct lang_template *tmpl;
    struct src_loc loc;
};

struct loaded {
    char *key; /* real path (or cleaned path for custom readers) */
    const char *path;
    struct lang_unit unit;
    VEC(struct entry) entries;           /* visible commands and templates */
    VEC(struct lang_binding *) bindings; /* visible bindings */
};

/* Copies made for `import "p" as ns`, shared by every importer. */
struct ns_copy {
    struct loaded *child;
    const char *ns;
    VEC(struct entry) entries;
};

struct loader {
    struct lang_arena *arena;
    struct lang_diags *diags;
    const struct lang_load_opts *opts;
    VEC(struct loaded *) files; /* in completion order */
    VEC(struct lang_source *) sources;
    VEC(struct loaded *) stack; /* files being loaded, outermost first */
    VEC(struct ns_copy *) copies;
    struct lang_diags own_diags; /* used when the caller passes none */
    size_t base_errors;          /* diags->error_count when loading started */
};

static void load_error(struct loader *ld, const struct lang_source *src, const struct src_loc *loc,
                       uint32_t span, const char *fmt, ...) PRINTF_LIKE(5, 6);

static void
load_error(struct loader *ld, const struct lang_source *src, const struct src_loc *loc,
           uint32_t span, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lang_diag_vsrc(ld->diags, LANG_SEV_ERROR, src, loc, span, fmt, ap);
    va_end(ap);
}

static void
free_loaded(struct loaded *l)
{
    lang_unit_release(&l->unit);
    vec_release(&l->entries);
    vec_release(&l->bindings);
    free(l->key);
    free(l);
}

/* Add one entry to a visible set; same declaration twice is fine (diamond). */
static void
add_entry(struct loader *ld, struct loaded *into, const struct entry *e, const struct src_loc *at)
{
    for (size_t i = 0; i < into->entries.count; i++) {
        const struct entry *old = &into->entries.items[i];
        if (strcmp(old->name, e->name) != 0)
            continue;
        if (old->cmd == e->cmd && old->tmpl == e->tmpl)
            return;
        load_error(ld, into->unit.src, at, (uint32_t)strlen(e->name),
                   "duplicate name '%s': %s at %s:%u and %s at %s:%u", e->name,
                   old->cmd ? "command" : "template", old->loc.file, (unsigned)old->loc.line,
                   e->cmd ? "command" : "template", e->loc.file, (unsigned)e->loc.line);
        return;
    }
    vec_push(&into->entries, *e);
}

static void
add_binding(struct loader *ld, struct loaded *into, struct lang_binding *b,
            const struct src_loc *at)
{
    for (size_t i = 0; i < into->bindings.count; i++) {
        const struct lang_binding *old = into->bindings.items[i];
        if (strcmp(old->name, b->name) != 0)
            continue;
        if (old == b)
            return;
        load_error(ld, into->unit.src, at, (uint32_t)strlen(b->name),
                   "duplicate binding '%s' (also set at %s:%u)", b->name, old->loc.file,
                   (unsigned)old->loc.line);
        return;
    }
    vec_push(&into->bindings, b);
}

/* The entries of 'child' renamed into namespace 'ns' (made once, then shared). */
static struct ns_copy *
ns_copy_of(struct loader *ld, struct loaded *child, const char *ns)
{
    for (size_t i = 0; i < ld->copies.count; i++)
        if (ld->copies.items[i]->child == child && strcmp(ld->copies.items[i]->ns, ns) == 0)
            return ld->copies.items[i];
    struct ns_copy *cp = xcalloc(1, sizeof(*cp));
    cp->child = child;
    cp->ns = ns;
    size_t n = child->entries.count;
    const char **names = xcalloc(n ? n : 1, sizeof(*names));
    for (size_t i = 0; i < n; i++)
        names[i] = child->entries.items[i].name;
    for (size_t i = 0; i < n; i++) {
        const struct entry *e = &child->entries.items[i];
        struct entry ne = *e;
        ne.name = lang_arena_printf(ld->arena, "%s.%s", ns, e->name);
        if (e->cmd) {
            struct lang_command *c = lang_arena_dup(ld->arena, e->cmd, sizeof(*c));
            c->name = ne.name;
            c->body = lang_body_rename(ld->arena, &e->cmd->body, ns, names, n);
            ne.cmd = c;
        } else {
            struct lang_template *t = lang_arena_dup(ld->arena, e->tmpl, sizeof(*t));
            t->name = ne.name;
            t->body = lang_body_rename(ld->arena, &e->tmpl->body, ns, names, n);
            ne.tmpl = t;
        }
        vec_push(&cp->entries, ne);
    }
    free(names);
    vec_push(&ld->copies, cp);
    return cp;
}

/* Read a file with the configured reader, or from the filesystem (at most
 * LANG_MAX_FILE_SIZE bytes, so the buffer size is bounded before it is
 * allocated). */
static char *
read_source(struct loader *ld, const char *path, size_t *out_len, struct err *err)
{
    if (ld->opts && ld->opts->read)
        return ld->opts->read(ld->opts->read_user, path, out_len, err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_errno(err, errno, "cannot open '%s'", path);
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        err_set(err, ERR_IO, "'%s' is a directory", path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = try_malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap > LANG_MAX_FILE_SIZE) {
                free(buf);
                fclose(f);
                err_set(err, ERR_LIMIT, "'%s' is larger than %u bytes", path,
                        (unsigned)LANG_MAX_FILE_SIZE);
                return NULL;
            }
            char *bigger = try_realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                int e = errno;
                free(buf);
                fclose(f);
                err_errno(err, e, "cannot read '%s'", path);
                return NULL;
            }
            break;
        }
    }
    fclose(f);
    if (!buf) {
        err_set(err, ERR_OOM, "out of memory reading '%s'", path);
        return NULL;
    }
    buf[len] = '\0';
    *out_len = len;
    return buf;
}

static struct loaded *load_text(struct loader *ld, const char *path, const char *key, char *text,
                                size_t len);

/*
 * Load 'path' (as written in an import of 'from', or the main file when
 * 'from' is NULL). Returns NULL when the file cannot be read or closes a
 * cycle (both reported).
 */
static struct loaded *
load_path(struct loader *ld, const char *path, struct loaded *from, const struct src_loc *at)
{
    char *resolved;
    if (from && !os_path_is_abs(path)) {
        char *joined = os_path_join(from->unit.dir, path);
        resolved = os_path_clean(joined);
        free(joined);
    } else {
        resolved = os_path_clean(path);
    }
    char *key = NULL;
    if (!(ld->opts && ld->opts->read)) {
        char real[PATH_MAX];
        if (realpath(resolved, real))
            key = xstrdup(real);
    }
    if (!key)
        key = xstrdup(resolved);
    const struct lang_source *from_src = from ? from->unit.src : NULL;

    for (size_t i = 0; i < ld->stack.count; i++) {
        if (strcmp(ld->stack.items[i]->key, key) != 0)
            continue;
        struct sbuf chain = SBUF_INIT;
        for (size_t j = i; j < ld->stack.count; j++)
            sbuf_addf(&chain, "%s -> ", ld->stack.items[j]->path);
        sbuf_adds(&chain, ld->stack.items[i]->path);
        load_error(ld, from_src, at, 6, "import cycle: %s", chain.buf);
        sbuf_release(&chain);
        free(key);
        free(resolved);
        return NULL;
    }
    for (size_t i = 0; i < ld->files.count; i++) {
        if (strcmp(ld->files.items[i]->key, key) == 0) {
            free(key);
            free(resolved);
            return ld->files.items[i];
        }
    }
    if (ld->files.count + ld->stack.count >= LANG_MAX_FILES) {
        load_error(ld, from_src, at, 6, "too many files imported (at most %d)", LANG_MAX_FILES);
        free(key);
        free(resolved);
        return NULL;
    }
    if (ld->stack.count >= LANG_MAX_IMPORT_DEPTH) {
        load_error(ld, from_src, at, 6, "imports nested too deeply (at most %d)",
                   LANG_MAX_IMPORT_DEPTH);
        free(key);
        free(resolved);
        return NULL;
    }
    struct err err = { 0 };
    size_t len = 0;
    char *text = read_source(ld, resolved, &len, &err);
    if (!text) {
        struct src_loc none = { resolved, 0, 0 };
        if (from)
            load_error(ld, from_src, at, 6, "%s", err.msg);
        else
            load_error(ld, NULL, &none, 1, "%s", err.msg);
        free(key);
        free(resolved);
        return NULL;
    }
    struct loaded *l = load_text(ld, resolved, key, text, len);
    free(resolved);
    return l;
}

/* Takes ownership of 'key' and 'text'. */
static struct loaded *
load_text(struct loader *ld, const char *path, const char *key, char *text, size_t len)
{
    struct loaded *l = xcalloc(1, sizeof(*l));
    l->key = (char *)key;
    l->path = lang_arena_strdup(ld->arena, path);

    struct lang_source *src = lang_arena_alloc(ld->arena, sizeof(*src));
    src->path = l->path;
    src->text = lang_arena_strndup(ld->arena, text, len);
    src->len = len;
    free(text);
    vec_push(&ld->sources, src);
    l->unit.path = l->path;
    char *dir = os_path_dir(l->path);
    l->unit.dir = lang_arena_strdup(ld->arena, dir);
    free(dir);
    l->unit.src = src;

    if (len > LANG_MAX_FILE_SIZE) {
        struct src_loc none = { l->path, 0, 0 };
        load_error(ld, NULL, &none, 1, "'%s' is larger than %u bytes", l->path,
                   (unsigned)LANG_MAX_FILE_SIZE);
        vec_push(&ld->files, l);
        return l;
    }
    const char *nul = memchr(src->text, '\0', len);
    if (nul) {
        uint32_t line = 1;
        const char *ls = src->text;
        for (const char *q = src->text; q < nul; q++)
            if (*q == '\n') {
                line++;
                ls = q + 1;
            }
        struct src_loc loc = { l->path, line, (uint32_t)(nul - ls) + 1 };
        load_error(ld, NULL, &loc, 1, "'%s' contains a NUL byte: not a text file", l->path);
        vec_push(&ld->files, l);
        return l;
    }

    struct lang_parse_opts popts = { ld->opts && ld->opts->warn_indent };
    lang_parse_unit(&l->unit, src, ld->arena, &popts, ld->diags);

    /* Imports first, so their names come first. */
    vec_push(&ld->stack, l);
    for (size_t i = 0; i < l->unit.imports.count; i++) {
        const struct lang_import *im = &l->unit.imports.items[i];
        struct loaded *child = load_path(ld, im->path.text, l, &im->loc);
        if (!child)
            continue;
        if (im->ns) {
            struct ns_copy *cp = ns_copy_of(ld, child, im->ns);
            for (size_t j = 0; j < cp->entries.count; j++)
                add_entry(ld, l, &cp->entries.items[j], &im->loc);
        } else {
            for (size_t j = 0; j < child->entries.count; j++)
                add_entry(ld, l, &child->entries.items[j], &im->loc);
        }
        for (size_t j = 0; j < child->bindings.count; j++)
            add_binding(ld, l, child->bindings.items[j], &im->loc);
    }
    ld->stack.count--;

    for (size_t i = 0; i < l->unit.bindings.count; i++)
        add_binding(ld, l, l->unit.bindings.items[i], &l->unit.bindings.items[i]->loc);
    for (size_t i = 0; i < l->unit.templates.count; i++) {
        struct lang_template *t = l->unit.templates.items[i];
        struct entry e = { t->name, NULL, t, t->loc };
        add_entry(ld, l, &e, &t->loc);
    }
    for (size_t i = 0; i < l->unit.commands.count; i++) {
        struct lang_command *c = l->unit.commands.items[i];
        struct entry e = { c->name, c, NULL, c->loc };
        add_entry(ld, l, &e, &c->loc);
    }

    /* Expand template calls in this file's own bodies. */
    VEC(struct lang_template *) tmpls = { 0 };
    for (size_t i = 0; i < l->entries.count; i++)
        if (l->entries.items[i].tmpl)
            vec_push(&tmpls, l->entries.items[i].tmpl);
    if (tmpls.count) {
        struct lang_tmpl_env env = { tmpls.items, tmpls.count };
        for (size_t i = 0; i < l->unit.commands.count; i++) {
            struct lang_command *c = l->unit.commands.items[i];
            c->body = lang_expand_body(ld->arena, &env, &c->body, src, 1, ld->diags);
        }
        for (size_t i = 0; i < l->unit.catches.count; i++) {
            struct lang_catch *c = l->unit.catches.items[i];
            c->body = lang_expand_body(ld->arena, &env, &c->body, src, 1, ld->diags);
        }
    }
    vec_release(&tmpls);
    vec_push(&ld->files, l);
    return l;
}

static int
compare_command_names(const void *a, const void *b)
{
    const struct lang_command *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static struct lang_program *
finish(struct loader *ld, struct loaded *main_file)
{
    struct lang_program *prog = lang_arena_alloc(ld->arena, sizeof(*prog));
    prog->arena = ld->arena;
    prog->path = main_file->path;
    prog->dir = main_file->unit.dir;
    prog->name = main_file->unit.name;
    prog->about = main_file->unit.about;
    prog->version = main_file->unit.version;

    size_t ncmd = 0, ntmpl = 0;
    for (size_t i = 0; i < main_file->entries.count; i++) {
        if (main_file->entries.items[i].cmd)
            ncmd++;
        else
            ntmpl++;
    }
    struct lang_command *cmds = lang_arena_alloc(ld->arena, (ncmd ? ncmd : 1) * sizeof(*cmds));
    struct lang_template *tmpls = lang_arena_alloc(ld->arena, (ntmpl ? ntmpl : 1) * sizeof(*tmpls));
    ncmd = ntmpl = 0;
    for (size_t i = 0; i < main_file->entries.count; i++) {
        const struct entry *e = &main_file->entries.items[i];
        if (e->cmd)
            cmds[ncmd++] = *e->cmd;
        else
            tmpls[ntmpl++] = *e->tmpl;
    }
    prog->commands = cmds;
    prog->command_count = ncmd;
    const struct lang_command **by_name =
        lang_arena_alloc(ld->arena, (ncmd ? ncmd : 1) * sizeof(*by_name));
    for (size_t i = 0; i < ncmd; i++)
        by_name[i] = &cmds[i];
    qsort(by_name, ncmd, sizeof(*by_name), compare_command_names);
    prog->commands_by_name = by_name;
    prog->templates = tmpls;
    prog->template_count = ntmpl;

    size_t nb = main_file->bindings.count;
    struct lang_binding *binds = lang_arena_alloc(ld->arena, (nb ? nb : 1) * sizeof(*binds));
    for (size_t i = 0; i < nb; i++)
        binds[i] = *main_file->bindings.items[i];
    prog->bindings = binds;
    prog->binding_count = nb;

    VEC(struct lang_catch) catches = { 0 };
    VEC(struct lang_require) reqs = { 0 };
    VEC(struct lang_bundle_item) bundle = { 0 };
    VEC(struct lang_hook) hooks = { 0 };
    for (size_t f = 0; f < ld->files.count; f++) {
        const struct lang_unit *u = &ld->files.items[f]->unit;
        for (size_t i = 0; i < u->catches.count; i++)
            vec_push(&catches, *u->catches.items[i]);
        for (size_t i = 0; i < u->requires.count; i++)
            vec_push(&reqs, u->requires.items[i]);
        if (u->has_requires)
            prog->has_requires = true;
        for (size_t i = 0; i < u->bundle.count; i++)
            vec_push(&bundle, u->bundle.items[i]);
        for (size_t i = 0; i < u->hooks.count; i++)
            vec_push(&hooks, u->hooks.items[i]);
    }
#define TAKE(field, countf, v)                                                        \
 do {                                                                                 \
  prog->field = lang_arena_dup(ld->arena, (v).items, (v).count * sizeof(*(v).items)); \
  prog->countf = (v).count;                                                           \
  vec_release(&(v));                                                                  \
 } while (0)
    TAKE(catches, catch_count, catches);
    TAKE(requires, require_count, reqs);
    TAKE(bundle, bundle_count, bundle);
    TAKE(hooks, hook_count, hooks);
#undef TAKE
    if (!prog->has_requires)
    prog->requires = NULL;

    /* Sources: the main file first. */
    struct lang_source *srcs =
        lang_arena_alloc(ld->arena, (ld->sources.count ? ld->sources.count : 1) * sizeof(*srcs));
    size_t n = 0;
    srcs[n++] = *main_file->unit.src;
    for (size_t i = 0; i < ld->sources.count; i++)
        if (ld->sources.items[i] != main_file->unit.src)
            srcs[n++] = *ld->sources.items[i];
    prog->sources = srcs;
    prog->source_count = n;
    return prog;
}

static void
loader_release(struct loader *ld)
{
    for (size_t i = 0; i < ld->files.count; i++)
        free_loaded(ld->files.items[i]);
    vec_release(&ld->files);
    vec_release(&ld->sources);
    vec_release(&ld->stack);
    for (size_t i = 0; i < ld->copies.count; i++) {
        vec_release(&ld->copies.items[i]->entries);
        free(ld->copies.items[i]);
    }
    vec_release(&ld->copies);
}

static void
loader_init(struct loader *ld, const struct lang_load_opts *opts, struct lang_diags *diags)
{
    memset(ld, 0, sizeof(*ld));
    ld->arena = lang_arena_new();
    ld->opts = opts;
    if (!diags) {
        lang_diags_init(&ld->own_diags);
        diags = &ld->own_diags;
    }
    ld->diags = diags;
    ld->base_errors = diags->error_count;
}

/* Shared tail of the load functions: 'main_file' may be NULL. */
static struct lang_program *
conclude(struct loader *ld, struct loaded *main_file)
{
    struct lang_program *prog = NULL;
    if (main_file && ld->diags->error_count == ld->base_errors)
        prog = finish(ld, main_file);
    loader_release(ld);
    if (!prog)
        lang_arena_free(ld->arena);
    if (ld->diags == &ld->own_diags)
        lang_diags_release(&ld->own_diags);
    return prog;
}

struct lang_program *
lang_load_file_opts(const char *path, const struct lang_load_opts *opts, struct lang_diags *diags)
{
    struct loader ld;
    loader_init(&ld, opts, diags);
    struct loaded *main_file = load_path(&ld, path, NULL, NULL);
    return conclude(&ld, main_file);
}

struct lang_program *
lang_load_file(const char *path, struct lang_diags *diags)
{
    return lang_load_file_opts(path, NULL, diags);
}

struct lang_program *
lang_load_string_opts(const char *name, const char *text, size_t len,
                      const struct lang_load_opts *opts, struct lang_diags *diags)
{
    struct loader ld;
    loader_init(&ld, opts, diags);
    char *clean = os_path_clean(name && *name ? name : "<string>");
    char *copy = xmalloc(len + 1);
    if (len)
        memcpy(copy, text, len);
    copy[len] = '\0';
    struct loaded *main_file = load_text(&ld, clean, xstrdup(clean), copy, len);
    free(clean);
    return conclude(&ld, main_file);
}

struct lang_program *
lang_load_string(const char *name, const char *text, size_t len, struct lang_diags *diags)
{
    return lang_load_string_opts(name, text, len, NULL, diags);
}

void
lang_program_free(struct lang_program *prog)
{
    if (prog)
        lang_arena_free(prog->arena);
}
