/*
 * tests/spec/spectest.c: perch-spectest, the WebAssembly spec test runner.
 *
 *     perch-spectest [-v] [--timeout SECONDS] [--list-failures FILE] [--via-cache] FILE.json...
 *
 * Each FILE.json is the output of wast2json for one .wast file; the module
 * files it names sit next to it. The commands run in order against the
 * engine's public API only (src/wasm/wasm.h), as any embedder would use it:
 *
 *   module                  load + instantiate; becomes the current module
 *                           (and a named one when the command has a name)
 *   register                make a module's exports importable under a name
 *   action                  invoke an export or read a global; must not fail
 *   assert_return           the results must match (NaN patterns, lanes, refs)
 *   assert_trap             the action (or instantiation) must trap
 *   assert_exhaustion       the action must exhaust the call stack
 *   assert_invalid          loading must fail with ERR_WASM_INVALID
 *   assert_malformed        loading must fail with ERR_WASM_MALFORMED
 *                           (text modules from `module quote` are skipped)
 *   assert_uninstantiable   instantiation must trap
 *   assert_unlinkable       instantiation must fail to link
 *
 * Every command counts as one check: passed, failed or skipped. Assertions
 * compare the kind of error; when the kind is right but the message does not
 * start with the suite's wording, that is counted (and shown with -v) as a
 * message mismatch, not a failure.
 *
 * Robustness: a module that fails to load only fails the commands that need
 * it. A watchdog interrupts any call or instantiation that runs longer than
 * the timeout. If the engine crashes, a signal handler names the file and
 * line being run before the process dies, so the crash is attributed.
 */
#include "spectest.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/vec.h"
#include "base/xalloc.h"

/* ---- values ------------------------------------------------------------ */

enum nan_kind {
    NAN_NONE = 0,   /* compare the bit pattern exactly */
    NAN_CANONICAL,  /* "nan:canonical": sign free, quiet bit only */
    NAN_ARITHMETIC, /* "nan:arithmetic": sign and payload free, quiet bit set */
};

/* A value read from the JSON, with what the comparison may let vary. */
struct spec_val {
    enum wasm_valtype type;
    union wasm_val val;
    enum nan_kind nan;       /* scalar f32/f64 */
    unsigned lane_bytes;     /* v128: 1, 2, 4 or 8 */
    bool lane_is_float;      /* v128: f32 or f64 lanes */
    enum nan_kind lane_nan[16];
    bool any_ref;            /* funcref given without a value: any non-null */
};

static bool
parse_number(const char *s, unsigned bits, uint64_t *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end = NULL;
    uint64_t v;
    if (s[0] == '-') {
        long long sv = strtoll(s, &end, 10);
        v = (uint64_t)sv;
    } else {
        v = strtoull(s, &end, 10);
    }
    if (errno || *end)
        return false;
    if (bits < 64)
        v &= ((uint64_t)1 << bits) - 1;
    *out = v;
    return true;
}

static enum nan_kind
nan_kind_of(const char *s)
{
    if (strcmp(s, "nan:canonical") == 0)
        return NAN_CANONICAL;
    if (strcmp(s, "nan:arithmetic") == 0)
        return NAN_ARITHMETIC;
    return NAN_NONE;
}

static bool
valtype_from_name(const char *name, enum wasm_valtype *out)
{
    static const struct {
        const char *name;
        enum wasm_valtype type;
    } names[] = {
        { "i32", WASM_I32 },         { "i64", WASM_I64 },       { "f32", WASM_F32 },
        { "f64", WASM_F64 },         { "v128", WASM_V128 },     { "funcref", WASM_FUNCREF },
        { "externref", WASM_EXTERNREF },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].type;
            return true;
        }
    }
    return false;
}

static const char *
valtype_name(enum wasm_valtype type)
{
    switch (type) {
    case WASM_I32:
        return "i32";
    case WASM_I64:
        return "i64";
    case WASM_F32:
        return "f32";
    case WASM_F64:
        return "f64";
    case WASM_V128:
        return "v128";
    case WASM_FUNCREF:
        return "funcref";
    case WASM_EXTERNREF:
        return "externref";
    }
    return "?";
}

/* Store the low 'bytes' bytes of 'v' little-endian at lane 'lane'. */
static void
put_lane(uint8_t *v128, unsigned bytes, unsigned lane, uint64_t v)
{
    for (unsigned i = 0; i < bytes; i++)
        v128[lane * bytes + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_lane(const uint8_t *v128, unsigned bytes, unsigned lane)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)v128[lane * bytes + i] << (8 * i);
    return v;
}

/*
 * Read one JSON value ({"type": "i32", "value": "42"} and friends). With
 * 'allow_patterns' (expected results), NaN patterns and value-less funcrefs
 * are accepted.
 */
static bool
parse_value(json_t *j, bool allow_patterns, struct spec_val *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    const char *type_name = json_string_value(json_object_get(j, "type"));
    if (!type_name || !valtype_from_name(type_name, &out->type))
        return err_set(err, ERR_JSON, "unknown value type '%s'", type_name ? type_name : "?");
    json_t *value = json_object_get(j, "value");
    const char *s = json_string_value(value);
    switch (out->type) {
    case WASM_I32:
    case WASM_I64:
    case WASM_F32:
    case WASM_F64: {
        unsigned bits = (out->type == WASM_I32 || out->type == WASM_F32) ? 32 : 64;
        if (s && (out->type == WASM_F32 || out->type == WASM_F64) && allow_patterns
            && (out->nan = nan_kind_of(s)) != NAN_NONE)
            return true;
        uint64_t v;
        if (!parse_number(s, bits, &v))
            return err_set(err, ERR_JSON, "bad %s value '%s'", type_name, s ? s : "?");
        if (bits == 32)
            out->val.i32 = (uint32_t)v;
        else
            out->val.i64 = v;
        return true;
    }
    case WASM_V128: {
        const char *lane_type = json_string_value(json_object_get(j, "lane_type"));
        if (!lane_type || !json_is_array(value))
            return err_set(err, ERR_JSON, "v128 value without lane_type and lanes");
        unsigned bytes;
        if (strcmp(lane_type, "i8") == 0)
            bytes = 1;
        else if (strcmp(lane_type, "i16") == 0)
            bytes = 2;
        else if (strcmp(lane_type, "i32") == 0 || strcmp(lane_type, "f32") == 0)
            bytes = 4;
        else if (strcmp(lane_type, "i64") == 0 || strcmp(lane_type, "f64") == 0)
            bytes = 8;
        else
            return err_set(err, ERR_JSON, "unknown lane type '%s'", lane_type);
        out->lane_bytes = bytes;
        out->lane_is_float = lane_type[0] == 'f';
        unsigned lanes = 16 / bytes;
        if (json_array_size(value) != lanes)
            return err_set(err, ERR_JSON, "v128 %s value with %zu lanes", lane_type,
                           json_array_size(value));
        for (unsigned i = 0; i < lanes; i++) {
            const char *lane = json_string_value(json_array_get(value, i));
            if (lane && out->lane_is_float && allow_patterns
                && (out->lane_nan[i] = nan_kind_of(lane)) != NAN_NONE)
                continue;
            uint64_t v;
            if (!parse_number(lane, bytes * 8, &v))
                return err_set(err, ERR_JSON, "bad v128 lane '%s'", lane ? lane : "?");
            put_lane(out->val.v128, bytes, i, v);
        }
        return true;
    }
    case WASM_FUNCREF:
    case WASM_EXTERNREF:
        if (!value && allow_patterns && out->type == WASM_FUNCREF) {
            out->any_ref = true;
            return true;
        }
        if (s && strcmp(s, "null") == 0) {
            out->val.ref = 0;
            return true;
        }
        if (out->type == WASM_EXTERNREF) {
            /* ref.extern N travels as the host value N + 1, so 0 stays null */
            uint64_t v;
            if (!parse_number(s, 64, &v) || v == UINT64_MAX || v + 1 > UINTPTR_MAX)
                return err_set(err, ERR_JSON, "bad externref value '%s'", s ? s : "?");
            out->val.ref = (uintptr_t)(v + 1);
            return true;
        }
        return err_set(err, ERR_JSON, "cannot pass a funcref value '%s'", s ? s : "?");
    }
    return err_set(err, ERR_JSON, "unknown value type");
}

static void
format_lane(struct sbuf *sb, uint64_t v, unsigned bytes, bool is_float, enum nan_kind nan)
{
    if (nan == NAN_CANONICAL) {
        sbuf_adds(sb, "nan:canonical");
    } else if (nan == NAN_ARITHMETIC) {
        sbuf_adds(sb, "nan:arithmetic");
    } else if (is_float && bytes == 4) {
        uint32_t bits = (uint32_t)v;
        float f;
        memcpy(&f, &bits, 4);
        sbuf_addf(sb, "%.9g (0x%08" PRIx32 ")", (double)f, bits);
    } else if (is_float) {
        double d;
        memcpy(&d, &v, 8);
        sbuf_addf(sb, "%.17g (0x%016" PRIx64 ")", d, v);
    } else {
        sbuf_addf(sb, "%" PRIu64, v);
    }
}

/* Describe 'v' of 'type'; lane layout and NaN patterns come from 'shape' when given. */
static void
format_value(struct sbuf *sb, enum wasm_valtype type, const union wasm_val *v,
             const struct spec_val *shape)
{
    sbuf_addf(sb, "%s:", valtype_name(type));
    switch (type) {
    case WASM_I32:
        format_lane(sb, v->i32, 4, false, NAN_NONE);
        break;
    case WASM_I64:
        format_lane(sb, v->i64, 8, false, NAN_NONE);
        break;
    case WASM_F32:
        format_lane(sb, v->i32, 4, true, shape ? shape->nan : NAN_NONE);
        break;
    case WASM_F64:
        format_lane(sb, v->i64, 8, true, shape ? shape->nan : NAN_NONE);
        break;
    case WASM_V128: {
        unsigned bytes = shape && shape->lane_bytes ? shape->lane_bytes : 4;
        bool is_float = shape && shape->lane_is_float;
        sbuf_addf(sb, "%s%ux%u [", is_float ? "f" : "i", bytes * 8, 16 / bytes);
        for (unsigned i = 0; i < 16 / bytes; i++) {
            if (i)
                sbuf_addc(sb, ' ');
            format_lane(sb, get_lane(v->v128, bytes, i), bytes, is_float,
                        shape ? shape->lane_nan[i] : NAN_NONE);
        }
        sbuf_addc(sb, ']');
        break;
    }
    case WASM_FUNCREF:
    case WASM_EXTERNREF:
        if (shape && shape->any_ref)
            sbuf_adds(sb, "non-null");
        else if (v->ref == 0)
            sbuf_adds(sb, "null");
        else if (type == WASM_EXTERNREF)
            sbuf_addf(sb, "%" PRIuPTR, v->ref - 1);
        else
            sbuf_addf(sb, "0x%" PRIxPTR, v->ref);
        break;
    }
}

static bool
float_matches(uint64_t got, uint64_t want, unsigned bytes, enum nan_kind nan)
{
    uint64_t exp_mask = bytes == 4 ? 0x7f800000u : 0x7ff0000000000000u;
    uint64_t quiet = bytes == 4 ? 0x00400000u : 0x0008000000000000u;
    uint64_t abs_mask = bytes == 4 ? 0x7fffffffu : 0x7fffffffffffffffu;
    switch (nan) {
    case NAN_CANONICAL:
        return (got & abs_mask) == (exp_mask | quiet);
    case NAN_ARITHMETIC:
        return (got & (exp_mask | quiet)) == (exp_mask | quiet);
    case NAN_NONE:
        break;
    }
    return got == want;
}

static bool
value_matches(enum wasm_valtype got_type, const union wasm_val *got, const struct spec_val *want)
{
    if (got_type != want->type)
        return false;
    switch (want->type) {
    case WASM_I32:
        return got->i32 == want->val.i32;
    case WASM_I64:
        return got->i64 == want->val.i64;
    case WASM_F32:
        return float_matches(got->i32, want->val.i32, 4, want->nan);
    case WASM_F64:
        return float_matches(got->i64, want->val.i64, 8, want->nan);
    case WASM_V128:
        for (unsigned i = 0; i < 16 / want->lane_bytes; i++) {
            uint64_t g = get_lane(got->v128, want->lane_bytes, i);
            uint64_t w = get_lane(want->val.v128, want->lane_bytes, i);
            if (want->lane_is_float ? !float_matches(g, w, want->lane_bytes, want->lane_nan[i])
                                    : g != w)
                return false;
        }
        return true;
    case WASM_FUNCREF:
    case WASM_EXTERNREF:
        return want->any_ref ? got->ref != 0 : got->ref == want->val.ref;
    }
    return false;
}

/* ---- crash attribution and the watchdog -------------------------------- */

/*
 * What is running, for the crash handler. A signal handler can only read
 * plain memory, so these are process-wide; the runner is single-threaded
 * apart from the watchdog, which never touches them.
 */
static const char *volatile crash_file = "(start-up)";
static volatile unsigned crash_line;
static struct sigaction crash_old[NSIG];

static void
write_str(const char *s)
{
    ssize_t rc = write(STDERR_FILENO, s, strlen(s));
    (void)rc;
}

static void
crash_handler(int sig)
{
    char num[24];
    char *p = num + sizeof(num);
    *--p = '\0';
    unsigned line = crash_line;
    do {
        *--p = (char)('0' + line % 10);
        line /= 10;
    } while (line);
    write_str("perch-spectest: CRASH (");
    write_str(sig == SIGSEGV  ? "SIGSEGV"
              : sig == SIGBUS ? "SIGBUS"
              : sig == SIGFPE ? "SIGFPE"
              : sig == SIGILL ? "SIGILL"
                              : "SIGABRT");
    write_str(") while running ");
    write_str(crash_file);
    write_str(":");
    write_str(p);
    write_str("\n");
    /* Put the previous handler back (a sanitizer's, or the default) and
     * return: the faulting instruction runs again and that handler reports
     * the crash; abort() raises again by itself. */
    sigaction(sig, &crash_old[sig], NULL);
}

static void
install_crash_handler(void)
{
    static const int signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    /* An alternate stack, so that a native stack overflow is reported too. */
    static char alt_stack[1 << 16];
    stack_t ss = { 0 };
    ss.ss_size = sizeof(alt_stack);
    ss.ss_sp = alt_stack;
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = crash_handler;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        sigaction(signals[i], &sa, &crash_old[signals[i]]);
}

/*
 * The watchdog: every call into wasm runs with the shared interrupt flag;
 * when one runs past the timeout, the watchdog sets the flag and the engine
 * traps with WASM_TRAP_INTERRUPTED.
 */
struct watchdog {
    atomic_int interrupt;          /* handed to every instance */
    atomic_llong deadline_ns;      /* 0: nothing running */
    atomic_bool stop;
    long long timeout_ns;
    pthread_t thread;
};

static long long
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *
watchdog_main(void *arg)
{
    struct watchdog *wd = arg;
    while (!atomic_load(&wd->stop)) {
        struct timespec nap = { 0, 50 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        long long deadline = atomic_load(&wd->deadline_ns);
        if (deadline && now_ns() > deadline)
            atomic_store(&wd->interrupt, 1);
    }
    return NULL;
}

static void
watchdog_arm(struct watchdog *wd)
{
    atomic_store(&wd->interrupt, 0);
    atomic_store(&wd->deadline_ns, now_ns() + wd->timeout_ns);
}

static bool
watchdog_disarm(struct watchdog *wd)
{
    atomic_store(&wd->deadline_ns, 0);
    return atomic_exchange(&wd->interrupt, 0) != 0;
}

/* ---- per-file state --------------------------------------------------- */

struct named_instance {
    char *name; /* "$M" as wast2json writes it */
    struct wasm_instance *inst;
};

struct runner {
    bool verbose;
    FILE *failure_list; /* NULL, or where "file:line" of each failure goes */
    struct watchdog wd;
    unsigned long passed, failed, skipped, message_mismatches;
};

struct spec_file {
    struct runner *run;
    const char *display;  /* "i32.wast" */
    char *dir;            /* where the module files are */
    struct wasm_linker *linker;
    struct wasm_instance *spectest;
    VEC(struct wasm_instance *) instances; /* all live instances, in creation order */
    VEC(struct named_instance) names;
    struct wasm_instance *current; /* NULL when there is none or the last module failed */
    unsigned line;                 /* of the command being run */
    unsigned long passed, failed, skipped, message_mismatches;
};

static void
pass(struct spec_file *f)
{
    f->passed++;
}

static void
skip(struct spec_file *f, const char *what)
{
    f->skipped++;
    if (f->run->verbose)
        printf("%s:%u: skipped: %s\n", f->display, f->line, what);
}

static void
fail(struct spec_file *f, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void
fail(struct spec_file *f, const char *fmt, ...)
{
    f->failed++;
    if (f->run->failure_list)
        fprintf(f->run->failure_list, "%s:%u\n", f->display, f->line);
    if (f->run->verbose) {
        va_list ap;
        va_start(ap, fmt);
        printf("%s:%u: FAIL: ", f->display, f->line);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

/* Check the message of an error of the right kind against the suite's text. */
static void
check_message(struct spec_file *f, const char *command, const char *want, const struct err *err)
{
    if (!want || strncmp(err->msg, want, strlen(want)) == 0)
        return;
    f->message_mismatches++;
    if (f->run->verbose)
        printf("%s:%u: message: %s expected \"%s\", got \"%s\"\n", f->display, f->line, command,
               want, err->msg);
}

static void
describe_err(struct sbuf *sb, const struct err *err)
{
    sbuf_addf(sb, "%s error \"%s\"", err_kind_name(err->kind), err->msg);
}

static void
remember(struct spec_file *f, const char *name, struct wasm_instance *inst)
{
    if (!name)
        return;
    struct named_instance *n;
    vec_foreach(&f->names, n) {
        if (strcmp(n->name, name) == 0) {
            n->inst = inst;
            return;
        }
    }
    struct named_instance fresh = { xstrdup(name), inst };
    vec_push(&f->names, fresh);
}

static struct wasm_instance *
lookup(struct spec_file *f, const char *name)
{
    if (!name)
        return f->current;
    struct named_instance *n;
    vec_foreach(&f->names, n) {
        if (strcmp(n->name, name) == 0)
            return n->inst;
    }
    return NULL;
}

/* Read a module file named by the JSON, relative to the JSON's folder. */
static bool
read_module_file(struct spec_file *f, const char *filename, uint8_t **out_bytes, size_t *out_len,
                 struct err *err)
{
    char *path = xasprintf("%s/%s", f->dir, filename);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        err_errno(err, errno, "cannot open '%s'", path);
        free(path);
        return false;
    }
    struct sbuf sb = SBUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sbuf_add(&sb, chunk, n);
    bool ok = !ferror(fp);
    fclose(fp);
    if (!ok) {
        err_errno(err, EIO, "cannot read '%s'", path);
        free(path);
        sbuf_release(&sb);
        return false;
    }
    free(path);
    *out_bytes = (uint8_t *)sbuf_detach(&sb, out_len);
    return true;
}

/* Instantiate 'mod' under the watchdog, with the shared interrupt flag. */
static struct wasm_instance *
instantiate(struct spec_file *f, const struct wasm_module *mod, struct err *err)
{
    struct wasm_instance_options opts = { 0 };
    opts.interrupt = &f->run->wd.interrupt;
    watchdog_arm(&f->run->wd);
    struct wasm_instance *inst = wasm_instance_new(mod, f->linker, &opts, err);
    if (watchdog_disarm(&f->run->wd) && !inst)
        err_prefix(err, "timed out");
    return inst;
}

static void
keep_instance(struct spec_file *f, struct wasm_instance *inst)
{
    vec_push(&f->instances, inst);
}

/* Is this module given as text (a `module quote` that wast2json left as .wat)? */
static bool
is_text_module(json_t *cmd)
{
    const char *module_type = json_string_value(json_object_get(cmd, "module_type"));
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    if (module_type && strcmp(module_type, "text") == 0)
        return true;
    size_t len = filename ? strlen(filename) : 0;
    return len > 4 && strcmp(filename + len - 4, ".wat") == 0;
}

/* --via-cache (or PERCH_SPECTEST_VIA_CACHE=1): every module that loads is
 * serialized, freed and loaded again from its blob with
 * wasm_module_load_cached, so the whole suite runs on code that went
 * through the compiled-code cache. A blob the engine refuses is an error. */
static bool via_cache;

/* --tier interp: load every module with the interpreter tier (wasm_limits.tier). */
static struct wasm_limits load_limits;

static struct wasm_module *
load_module(const uint8_t *bytes, size_t len, struct err *err)
{
    struct wasm_module *mod = wasm_module_load(bytes, len, &load_limits, err);
    if (!mod || !via_cache)
        return mod;
    uint8_t *blob = NULL;
    size_t blob_len = 0;
    bool ok = wasm_module_serialize(mod, &blob, &blob_len, err);
    wasm_module_free(mod);
    if (!ok) {
        err_prefix(err, "via-cache: serialize");
        return NULL;
    }
    mod = wasm_module_load_cached(bytes, len, blob, blob_len, &load_limits, err);
    free(blob);
    if (!mod)
        err_prefix(err, "via-cache: load_cached");
    return mod;
}

/* ---- commands ----------------------------------------------------------- */

static void
cmd_module(struct spec_file *f, json_t *cmd)
{
    const char *name = json_string_value(json_object_get(cmd, "name"));
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    f->current = NULL;
    remember(f, name, NULL);
    if (is_text_module(cmd)) {
        skip(f, "text module");
        return;
    }
    struct err err = { 0 };
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!filename || !read_module_file(f, filename, &bytes, &len, &err)) {
        fail(f, "module: %s", filename ? err.msg : "no filename");
        return;
    }
    struct wasm_module *mod = load_module(bytes, len, &err);
    free(bytes);
    if (!mod) {
        fail(f, "module %s: load failed: %s error \"%s\"", filename, err_kind_name(err.kind),
             err.msg);
        return;
    }
    struct wasm_instance *inst = instantiate(f, mod, &err);
    wasm_module_free(mod);
    if (!inst) {
        fail(f, "module %s: instantiation failed: %s error \"%s\"", filename,
             err_kind_name(err.kind), err.msg);
        return;
    }
    keep_instance(f, inst);
    f->current = inst;
    remember(f, name, inst);
    pass(f);
}

static void
cmd_register(struct spec_file *f, json_t *cmd)
{
    const char *name = json_string_value(json_object_get(cmd, "name"));
    const char *as = json_string_value(json_object_get(cmd, "as"));
    struct wasm_instance *inst = lookup(f, name);
    if (!as) {
        fail(f, "register without \"as\"");
        return;
    }
    if (!inst) {
        fail(f, "register \"%s\": module %s is not available", as, name ? name : "(current)");
        return;
    }
    struct err err = { 0 };
    if (!wasm_linker_define_instance(f->linker, as, inst, &err)) {
        fail(f, "register \"%s\": %s", as, err.msg);
        return;
    }
    pass(f);
}

/*
 * Run an action. On success, *out_results (xmalloc'd, caller frees) holds
 * *out_count values whose types are in *out_types (likewise). On failure,
 * 'err' says why; *out_setup is true when the failure is ours or the JSON's
 * (not something the engine did while running).
 */
static bool
run_action(struct spec_file *f, json_t *action, union wasm_val **out_results,
           enum wasm_valtype **out_types, size_t *out_count, struct sbuf *desc, bool *out_setup,
           struct err *err)
{
    *out_results = NULL;
    *out_types = NULL;
    *out_count = 0;
    *out_setup = true;
    const char *type = json_string_value(json_object_get(action, "type"));
    const char *module = json_string_value(json_object_get(action, "module"));
    const char *field = json_string_value(json_object_get(action, "field"));
    if (!type || !field)
        return err_set(err, ERR_JSON, "action without type or field");
    bool is_get = strcmp(type, "get") == 0;
    if (!is_get && strcmp(type, "invoke") != 0)
        return err_set(err, ERR_JSON, "unknown action type '%s'", type);
    if (module)
        sbuf_addf(desc, "%s ", module);
    sbuf_addf(desc, "%s \"%s\"", type, field);

    /* the arguments first, so that every failure below is described in full */
    json_t *args_json = json_object_get(action, "args");
    size_t arg_count = is_get ? 0 : json_array_size(args_json);
    union wasm_val *args = xcalloc(arg_count ? arg_count : 1, sizeof(*args));
    if (!is_get)
        sbuf_addc(desc, '(');
    for (size_t i = 0; i < arg_count; i++) {
        struct spec_val sv;
        if (!parse_value(json_array_get(args_json, i), false, &sv, err)) {
            free(args);
            return false;
        }
        args[i] = sv.val;
        if (i)
            sbuf_adds(desc, ", ");
        format_value(desc, sv.type, &sv.val, &sv);
    }
    if (!is_get)
        sbuf_addc(desc, ')');

    struct wasm_instance *inst = lookup(f, module);
    if (!inst) {
        free(args);
        return err_set(err, ERR_NOT_FOUND, "module %s is not available",
                       module ? module : "(current)");
    }

    if (is_get) {
        free(args);
        union wasm_val *val = xcalloc(1, sizeof(*val));
        enum wasm_valtype *vt = xcalloc(1, sizeof(*vt));
        if (!wasm_instance_global_get(inst, field, val, vt, err)) {
            err_set(err, ERR_NOT_FOUND, "no global \"%s\"", field);
            free(val);
            free(vt);
            return false;
        }
        *out_results = val;
        *out_types = vt;
        *out_count = 1;
        *out_setup = false;
        return true;
    }

    struct wasm_functype ft;
    if (!wasm_instance_func_type(inst, field, &ft)) {
        free(args);
        return err_set(err, ERR_NOT_FOUND, "no exported function \"%s\"", field);
    }
    if (ft.param_count != arg_count) {
        free(args);
        return err_set(err, ERR_TYPE, "\"%s\" takes %" PRIu32 " parameters, the test gives %zu",
                       field, ft.param_count, arg_count);
    }
    size_t result_count = ft.result_count;
    union wasm_val *results = xcalloc(result_count ? result_count : 1, sizeof(*results));
    enum wasm_valtype *types = xcalloc(result_count ? result_count : 1, sizeof(*types));
    for (size_t i = 0; i < result_count; i++)
        types[i] = ft.results[i];
    *out_setup = false;
    watchdog_arm(&f->run->wd);
    bool ok = wasm_instance_call(inst, field, args, arg_count, results, result_count, err);
    if (watchdog_disarm(&f->run->wd) && !ok)
        err_prefix(err, "timed out");
    free(args);
    if (!ok) {
        free(results);
        free(types);
        return false;
    }
    *out_results = results;
    *out_types = types;
    *out_count = result_count;
    return true;
}

static void
cmd_action(struct spec_file *f, json_t *cmd)
{
    union wasm_val *results;
    enum wasm_valtype *types;
    size_t count;
    bool setup;
    struct err err = { 0 };
    struct sbuf desc = SBUF_INIT;
    if (run_action(f, json_object_get(cmd, "action"), &results, &types, &count, &desc, &setup,
                   &err))
        pass(f);
    else
        fail(f, "action %s: %s error \"%s\"", desc.buf, err_kind_name(err.kind), err.msg);
    free(results);
    free(types);
    sbuf_release(&desc);
}

static void
cmd_assert_return(struct spec_file *f, json_t *cmd)
{
    union wasm_val *results;
    enum wasm_valtype *types;
    size_t count;
    bool setup;
    struct err err = { 0 };
    struct sbuf desc = SBUF_INIT, msg = SBUF_INIT;
    json_t *expected = json_object_get(cmd, "expected");
    size_t want_count = json_array_size(expected);
    if (!run_action(f, json_object_get(cmd, "action"), &results, &types, &count, &desc, &setup,
                    &err)) {
        describe_err(&msg, &err);
        fail(f, "assert_return %s: expected results, got %s", desc.buf, msg.buf);
        goto done;
    }
    if (count != want_count) {
        fail(f, "assert_return %s: expected %zu results, got %zu", desc.buf, want_count, count);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        struct spec_val want;
        if (!parse_value(json_array_get(expected, i), true, &want, &err)) {
            fail(f, "assert_return %s: %s", desc.buf, err.msg);
            goto done;
        }
        if (!value_matches(types[i], &results[i], &want)) {
            sbuf_reset(&msg);
            sbuf_adds(&msg, "expected ");
            format_value(&msg, want.type, &want.val, &want);
            sbuf_adds(&msg, ", got ");
            /* show the result in the expected lane shape, minus the NaN patterns */
            struct spec_val shape = want;
            shape.nan = NAN_NONE;
            shape.any_ref = false;
            memset(shape.lane_nan, 0, sizeof(shape.lane_nan));
            format_value(&msg, types[i], &results[i], &shape);
            fail(f, "assert_return %s: result %zu: %s", desc.buf, i, msg.buf);
            goto done;
        }
    }
    pass(f);
done:
    free(results);
    free(types);
    sbuf_release(&desc);
    sbuf_release(&msg);
}

static void
cmd_assert_uninstantiable_kind(struct spec_file *f, json_t *cmd, const char *command,
                               enum err_kind want_kind);

/* assert_trap and assert_exhaustion on an action. */
static void
cmd_assert_action_error(struct spec_file *f, json_t *cmd, const char *command,
                        enum err_kind want_kind)
{
    union wasm_val *results;
    enum wasm_valtype *types;
    size_t count;
    bool setup;
    struct err err = { 0 };
    struct sbuf desc = SBUF_INIT, msg = SBUF_INIT;
    const char *text = json_string_value(json_object_get(cmd, "text"));
    if (run_action(f, json_object_get(cmd, "action"), &results, &types, &count, &desc, &setup,
                   &err)) {
        sbuf_adds(&msg, "results (");
        for (size_t i = 0; i < count; i++) {
            if (i)
                sbuf_adds(&msg, ", ");
            format_value(&msg, types[i], &results[i], NULL);
        }
        sbuf_addc(&msg, ')');
        fail(f, "%s %s: expected %s \"%s\", got %s", command, desc.buf,
             err_kind_name(want_kind), text ? text : "", msg.buf);
    } else if (setup || err.kind != want_kind) {
        describe_err(&msg, &err);
        fail(f, "%s %s: expected %s \"%s\", got %s", command, desc.buf,
             err_kind_name(want_kind), text ? text : "", msg.buf);
    } else {
        check_message(f, command, text, &err);
        pass(f);
    }
    free(results);
    free(types);
    sbuf_release(&desc);
    sbuf_release(&msg);
}

static void
cmd_assert_trap(struct spec_file *f, json_t *cmd)
{
    /* the older form of assert_uninstantiable: assert_trap on a module */
    if (!json_object_get(cmd, "action") && json_object_get(cmd, "filename")) {
        cmd_assert_uninstantiable_kind(f, cmd, "assert_trap", ERR_WASM_TRAP);
        return;
    }
    cmd_assert_action_error(f, cmd, "assert_trap", ERR_WASM_TRAP);
}

/* assert_invalid and assert_malformed: loading must fail with 'want_kind'. */
static void
cmd_assert_load_error(struct spec_file *f, json_t *cmd, const char *command,
                      enum err_kind want_kind)
{
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *text = json_string_value(json_object_get(cmd, "text"));
    if (is_text_module(cmd)) {
        skip(f, "text module");
        return;
    }
    struct err err = { 0 };
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!filename || !read_module_file(f, filename, &bytes, &len, &err)) {
        fail(f, "%s: %s", command, filename ? err.msg : "no filename");
        return;
    }
    struct wasm_module *mod = wasm_module_load(bytes, len, &load_limits, &err);
    free(bytes);
    if (mod) {
        wasm_module_free(mod);
        fail(f, "%s %s: expected %s \"%s\", but the module loaded", command, filename,
             err_kind_name(want_kind), text ? text : "");
        return;
    }
    if (err.kind != want_kind) {
        fail(f, "%s %s: expected %s \"%s\", got %s error \"%s\"", command, filename,
             err_kind_name(want_kind), text ? text : "", err_kind_name(err.kind), err.msg);
        return;
    }
    check_message(f, command, text, &err);
    pass(f);
}

/* assert_uninstantiable and assert_unlinkable: instantiation must fail with 'want_kind'. */
static void
cmd_assert_uninstantiable_kind(struct spec_file *f, json_t *cmd, const char *command,
                               enum err_kind want_kind)
{
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *text = json_string_value(json_object_get(cmd, "text"));
    if (is_text_module(cmd)) {
        skip(f, "text module");
        return;
    }
    struct err err = { 0 };
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!filename || !read_module_file(f, filename, &bytes, &len, &err)) {
        fail(f, "%s: %s", command, filename ? err.msg : "no filename");
        return;
    }
    struct wasm_module *mod = load_module(bytes, len, &err);
    free(bytes);
    if (!mod) {
        fail(f, "%s %s: expected %s \"%s\", but loading failed: %s error \"%s\"", command,
             filename, err_kind_name(want_kind), text ? text : "", err_kind_name(err.kind),
             err.msg);
        return;
    }
    struct wasm_instance *inst = instantiate(f, mod, &err);
    wasm_module_free(mod);
    if (inst) {
        /* nothing links against it, so it can go at once */
        wasm_instance_free(inst);
        fail(f, "%s %s: expected %s \"%s\", but it instantiated", command, filename,
             err_kind_name(want_kind), text ? text : "");
        return;
    }
    if (err.kind != want_kind) {
        fail(f, "%s %s: expected %s \"%s\", got %s error \"%s\"", command, filename,
             err_kind_name(want_kind), text ? text : "", err_kind_name(err.kind), err.msg);
        return;
    }
    check_message(f, command, text, &err);
    pass(f);
}

static void
run_command(struct spec_file *f, json_t *cmd)
{
    const char *type = json_string_value(json_object_get(cmd, "type"));
    json_int_t line = json_integer_value(json_object_get(cmd, "line"));
    f->line = line > 0 ? (unsigned)line : 0;
    crash_line = f->line;
    if (!type) {
        fail(f, "command without a type");
        return;
    }
    json_t *field = json_object_get(json_object_get(cmd, "action"), "field");
    if (field && json_string_length(field) != strlen(json_string_value(field))) {
        /* the engine's API takes NUL-terminated names; such an export cannot be named */
        skip(f, "export name with a NUL byte");
        return;
    }
    if (strcmp(type, "module") == 0)
        cmd_module(f, cmd);
    else if (strcmp(type, "register") == 0)
        cmd_register(f, cmd);
    else if (strcmp(type, "action") == 0)
        cmd_action(f, cmd);
    else if (strcmp(type, "assert_return") == 0)
        cmd_assert_return(f, cmd);
    else if (strcmp(type, "assert_trap") == 0)
        cmd_assert_trap(f, cmd);
    else if (strcmp(type, "assert_exhaustion") == 0)
        cmd_assert_action_error(f, cmd, "assert_exhaustion", ERR_WASM_EXHAUSTION);
    else if (strcmp(type, "assert_invalid") == 0)
        cmd_assert_load_error(f, cmd, "assert_invalid", ERR_WASM_INVALID);
    else if (strcmp(type, "assert_malformed") == 0)
        cmd_assert_load_error(f, cmd, "assert_malformed", ERR_WASM_MALFORMED);
    else if (strcmp(type, "assert_uninstantiable") == 0)
        cmd_assert_uninstantiable_kind(f, cmd, "assert_uninstantiable", ERR_WASM_TRAP);
    else if (strcmp(type, "assert_unlinkable") == 0)
        cmd_assert_uninstantiable_kind(f, cmd, "assert_unlinkable", ERR_WASM_UNLINKABLE);
    else
        skip(f, type);
}

/* "dir/i32.json" -> "i32.wast" */
static char *
display_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".json") == 0)
        len -= 5;
    return xasprintf("%.*s.wast", (int)len, base);
}

static char *
dir_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

/* Run every command of one JSON file. False only when the file cannot be read at all. */
static bool
run_file(struct runner *run, const char *path)
{
    struct spec_file f;
    memset(&f, 0, sizeof(f));
    f.run = run;
    char *display = display_name(path);
    f.display = display;
    f.dir = dir_name(path);
    crash_file = display;
    crash_line = 0;

    json_error_t jerr;
    /* names.wast has export names with NUL bytes */
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    json_t *commands = root ? json_object_get(root, "commands") : NULL;
    if (!json_is_array(commands)) {
        fprintf(stderr, "perch-spectest: %s: %s\n", path,
                root ? "no \"commands\" array" : jerr.text);
        json_decref(root);
        free(display);
        free(f.dir);
        return false;
    }

    f.linker = wasm_linker_new();
    struct err err = { 0 };
    f.spectest = spectest_host_new(f.linker, run->verbose, &err);
    if (!f.spectest)
        fprintf(stderr, "perch-spectest: %s: cannot set up the spectest module: %s\n", display,
                err.msg);

    size_t index;
    json_t *cmd;
    json_array_foreach(commands, index, cmd) {
        run_command(&f, cmd);
        fflush(stdout);
    }

    /* Importers go before what they import from: free in reverse order. */
    wasm_linker_free(f.linker);
    for (size_t i = f.instances.count; i-- > 0;)
        wasm_instance_free(f.instances.items[i]);
    wasm_instance_free(f.spectest);
    vec_release(&f.instances);
    struct named_instance *n;
    vec_foreach(&f.names, n) free(n->name);
    vec_release(&f.names);
    json_decref(root);

    printf("%s: %lu passed, %lu failed, %lu skipped\n", display, f.passed, f.failed, f.skipped);
    if (f.message_mismatches && run->verbose)
        printf("%s: %lu assertions failed as expected but with another message\n", display,
               f.message_mismatches);
    fflush(stdout);
    run->passed += f.passed;
    run->failed += f.failed;
    run->skipped += f.skipped;
    run->message_mismatches += f.message_mismatches;
    crash_file = "(between files)";
    free(display);
    free(f.dir);
    return true;
}

static void
usage(FILE *to)
{
    fprintf(to, "usage: perch-spectest [-v] [--timeout SECONDS] [--list-failures FILE] "
                "FILE.json...\n"
                "  Runs wast2json output against the perch WebAssembly engine.\n"
                "  -v                    show each failure, skip and message mismatch\n"
                "  --timeout SECONDS     interrupt any call running longer (default 30)\n"
                "  --list-failures FILE  write FILE:LINE of every failed command to FILE\n"
                "  --via-cache           run every module from a serialize/load_cached round\n"
                "                        trip (also PERCH_SPECTEST_VIA_CACHE=1)\n"
                "  --tier auto|interp    execution tier of every module (default auto: native\n"
                "                        code where supported)\n");
}

int
main(int argc, char **argv)
{
    struct runner run;
    memset(&run, 0, sizeof(run));
    double timeout_s = 30;
    const char *list_path = NULL;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        const char *a = argv[first];
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            run.verbose = true;
        } else if (strcmp(a, "--timeout") == 0 && first + 1 < argc) {
            char *end;
            timeout_s = strtod(argv[++first], &end);
            if (*end || timeout_s <= 0) {
                fprintf(stderr, "perch-spectest: bad --timeout '%s'\n", argv[first]);
                return 2;
            }
        } else if (strcmp(a, "--via-cache") == 0) {
            via_cache = true;
        } else if (strcmp(a, "--tier") == 0 && first + 1 < argc) {
            const char *t = argv[++first];
            if (strcmp(t, "interp") == 0) {
                load_limits.tier = WASM_TIER_INTERP;
            } else if (strcmp(t, "auto") == 0) {
                load_limits.tier = WASM_TIER_AUTO;
            } else {
                fprintf(stderr, "perch-spectest: bad --tier '%s' (auto or interp)\n", t);
                return 2;
            }
        } else if (strcmp(a, "--list-failures") == 0 && first + 1 < argc) {
            list_path = argv[++first];
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--") == 0) {
            first++;
            break;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    if (list_path) {
        run.failure_list = fopen(list_path, "w");
        if (!run.failure_list) {
            fprintf(stderr, "perch-spectest: cannot open '%s': %s\n", list_path,
                    strerror(errno));
            return 2;
        }
    }

    if (getenv("PERCH_SPECTEST_VIA_CACHE") && strcmp(getenv("PERCH_SPECTEST_VIA_CACHE"), "1") == 0)
        via_cache = true;
    install_crash_handler();
    run.wd.timeout_ns = (long long)(timeout_s * 1e9);
    if (pthread_create(&run.wd.thread, NULL, watchdog_main, &run.wd) != 0) {
        fprintf(stderr, "perch-spectest: cannot start the watchdog thread\n");
        return 2;
    }

    int unreadable = 0;
    for (int i = first; i < argc; i++) {
        if (!run_file(&run, argv[i]))
            unreadable++;
        if (run.failure_list)
            fflush(run.failure_list);
    }

    atomic_store(&run.wd.stop, true);
    pthread_join(run.wd.thread, NULL);
    if (run.failure_list)
        fclose(run.failure_list);

    if (run.message_mismatches)
        printf("%lu assertions failed with the right kind of error but another message\n",
               run.message_mismatches);
    if (run.skipped)
        printf("%lu passed, %lu failed, %lu skipped\n", run.passed, run.failed, run.skipped);
    else
        printf("%lu passed, %lu failed\n", run.passed, run.failed);
    if (unreadable)
        return 2;
    return run.failed ? 1 : 0;
}
