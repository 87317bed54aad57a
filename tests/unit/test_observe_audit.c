/* test_observe_audit.c: --audit (src/observe/audit.c): one JSON object a
 * line, appended: session_start, an "op" or "command" event per span with
 * kind, args, file, line, depth, dur_ms, ok, error and the span's attributes,
 * then session_end. Odd characters in names and paths are escaped (quotes,
 * backslashes, newlines, control characters) and bytes that are not UTF-8
 * become U+FFFD instead of dropping the value. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "observe/observe.h"

#define MS INT64_C(1000000)

static char *
temp_path(void)
{
    char tmpl[] = "/tmp/perch-test-audit-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    close(fd);
    unlink(tmpl); /* observe_new creates it */
    return xstrdup(tmpl);
}

/* Every line of the file, parsed; each must be one JSON object. */
static json_t *
read_events(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    json_t *events = json_array();
    char line[65536];
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        assert_true(len > 0 && line[len - 1] == '\n');
        json_error_t jerr;
        json_t *ev = json_loadb(line, len - 1, 0, &jerr);
        if (!ev)
            fail_msg("not JSON: %s (%s)", line, jerr.text);
        assert_true(json_is_object(ev));
        json_array_append_new(events, ev);
    }
    fclose(f);
    return events;
}

static const char *
str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("'%s' is not a string", key);
    return json_string_value(v);
}

static struct observe *
open_audit(const char *path)
{
    struct observe_opts opts = { 0 };
    opts.audit_path = path;
    struct err err = { 0 };
    struct observe *obs = observe_new(&opts, &err);
    if (!obs)
        fail_msg("observe_new: %s", err.msg);
    assert_non_null(observe_observer(obs));
    return obs;
}

static void
test_audit_session_and_op_events(void **state)
{
    (void)state;
    char *path = temp_path();
    struct observe *obs = open_audit(path);
    char a0[] = "perch", a1[] = "-f", a2[] = "ops.perch", a3[] = "deploy";
    char *argv[] = { a0, a1, a2, a3 };
    observe_session_start(obs, "/srv/ops.perch", 4, argv);
    struct exec_observer *o = observe_observer(obs);

    struct exec_span cmd = { 0 };
    cmd.kind = "command";
    cmd.name = "deploy";
    cmd.loc.file = "/srv/ops.perch";
    cmd.loc.line = 3;
    char w0[] = "/srv/out.txt", w1[] = "data";
    char *wargv[] = { w0, w1 };
    struct exec_span write = { 0 };
    write.kind = "write_file";
    write.name = "write_file";
    write.argc = 2;
    write.argv = wargv;
    write.depth = 1;
    write.parent = &cmd;
    write.loc.file = "/srv/ops.perch";
    write.loc.line = 5;
    write.loc.col = 9;
    char k0[] = "sha256", v0[] = "abc123", k1[] = "mounts", v1[] = "[\"/ro/x\"]";
    struct exec_span_attr attrs[] = { { k0, v0, false }, { k1, v1, true } };
    write.attrs = attrs;
    write.attr_count = 2;
    struct err fail = { 0 };
    err_set(&fail, ERR_NOT_FOUND, "read_file: cannot open '/x'");

    o->span_start(o, &cmd);
    o->span_start(o, &write);
    o->span_end(o, &write, 3 * MS, NULL);
    o->span_end(o, &cmd, 7 * MS, &fail);
    struct err report_err = { 0 };
    assert_true(observe_session_end(obs, 1, &fail, &report_err));
    observe_free(obs);

    json_t *events = read_events(path);
    assert_int_equal(json_array_size(events), 4);
    json_t *start = json_array_get(events, 0);
    assert_string_equal(str(start, "event"), "session_start");
    assert_string_equal(str(start, "file"), "/srv/ops.perch");
    assert_int_equal(json_integer_value(json_object_get(start, "pid")), getpid());
    assert_true(strlen(str(start, "perch")) > 0);
    assert_int_equal(json_array_size(json_object_get(start, "argv")), 4);
    assert_string_equal(json_string_value(json_array_get(json_object_get(start, "argv"), 3)),
                        "deploy");
    /* ts: 2026-11-24T10:00:00.123Z */
    const char *ts = str(start, "ts");
    assert_int_equal(strlen(ts), 24);
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[23], 'Z');

    json_t *op = json_array_get(events, 1);
    assert_string_equal(str(op, "event"), "op");
    assert_string_equal(str(op, "kind"), "write_file");
    assert_null(json_object_get(op, "name"));
    json_t *args = json_object_get(op, "args");
    assert_int_equal(json_array_size(args), 2);
    assert_string_equal(json_string_value(json_array_get(args, 0)), "/srv/out.txt");
    assert_string_equal(str(op, "file"), "/srv/ops.perch");
    assert_int_equal(json_integer_value(json_object_get(op, "line")), 5);
    assert_int_equal(json_integer_value(json_object_get(op, "column")), 9);
    assert_int_equal(json_integer_value(json_object_get(op, "depth")), 1);
    assert_true(json_real_value(json_object_get(op, "dur_ms")) == 3.0);
    assert_true(json_is_true(json_object_get(op, "ok")));
    assert_null(json_object_get(op, "error"));
    assert_string_equal(str(op, "sha256"), "abc123");
    json_t *mounts = json_object_get(op, "mounts");
    assert_true(json_is_array(mounts)); /* a JSON attribute is embedded, not quoted */
    assert_string_equal(json_string_value(json_array_get(mounts, 0)), "/ro/x");

    json_t *c = json_array_get(events, 2);
    assert_string_equal(str(c, "event"), "command");
    assert_string_equal(str(c, "name"), "deploy");
    assert_true(json_is_false(json_object_get(c, "ok")));
    assert_string_equal(str(c, "error"), "read_file: cannot open '/x'");
    assert_string_equal(str(c, "error_kind"), "not_found");

    json_t *end = json_array_get(events, 3);
    assert_string_equal(str(end, "event"), "session_end");
    assert_true(json_is_false(json_object_get(end, "ok")));
    assert_int_equal(json_integer_value(json_object_get(end, "exit_code")), 1);
    assert_string_equal(str(end, "error_kind"), "not_found");
    assert_true(json_is_real(json_object_get(end, "dur_ms")));
    json_decref(events);
    unlink(path);
    free(path);
}

static void
test_audit_escapes_odd_characters_and_keeps_non_utf8_values(void **state)
{
    (void)state;
    char *path = temp_path();
    struct observe *obs = open_audit(path);
    char odd[] = "a \"quoted\" back\\slash\nnew\tline\x01\x1b[0m caf\xc3\xa9";
    char latin1[] = "r\xe9sum\xe9.txt"; /* not UTF-8 */
    char truncated[] = "end\xe2\x82";   /* a cut-off sequence */
    char *argv[] = { odd, latin1, truncated };
    struct exec_span s = { 0 };
    s.kind = "write_file";
    s.name = "write_file";
    s.argc = 3;
    s.argv = argv;
    s.loc.file = latin1;
    s.loc.line = 1;
    struct exec_observer *o = observe_observer(obs);
    o->span_start(o, &s);
    o->span_end(o, &s, 0, NULL);
    observe_free(obs);

    /* The raw line: one line, control characters escaped. */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char raw[4096];
    assert_non_null(fgets(raw, sizeof(raw), f));
    assert_null(fgets(raw + strlen(raw), (int)(sizeof(raw) - strlen(raw)), f));
    fclose(f);
    assert_non_null(strstr(raw, "a \\\"quoted\\\" back\\\\slash\\nnew\\tline\\u0001\\u001B[0m"));

    json_t *events = read_events(path);
    assert_int_equal(json_array_size(events), 1);
    json_t *ev = json_array_get(events, 0);
    json_t *args = json_object_get(ev, "args");
    assert_int_equal(json_array_size(args), 3); /* nothing dropped */
    assert_string_equal(json_string_value(json_array_get(args, 0)), odd);
    assert_string_equal(json_string_value(json_array_get(args, 1)),
                        "r\xef\xbf\xbdsum\xef\xbf\xbd.txt");
    assert_string_equal(json_string_value(json_array_get(args, 2)),
                        "end\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(str(ev, "file"), "r\xef\xbf\xbdsum\xef\xbf\xbd.txt");
    json_decref(events);
    unlink(path);
    free(path);
}

static void
test_audit_appends_sessions(void **state)
{
    (void)state;
    char *path = temp_path();
    for (int i = 0; i < 2; i++) {
        struct observe *obs = open_audit(path);
        observe_session_start(obs, "f.perch", 0, NULL);
        struct err e = { 0 };
        assert_true(observe_session_end(obs, 0, NULL, &e));
        observe_free(obs);
    }
    json_t *events = read_events(path);
    assert_int_equal(json_array_size(events), 4);
    assert_string_equal(str(json_array_get(events, 2), "event"), "session_start");
    assert_true(json_is_true(json_object_get(json_array_get(events, 3), "ok")));
    json_decref(events);
    unlink(path);
    free(path);
}

static void
test_audit_file_that_cannot_be_opened_is_refused(void **state)
{
    (void)state;
    struct observe_opts opts = { 0 };
    opts.audit_path = "/nonexistent-dir-for-perch/audit.ndjson";
    struct err err = { 0 };
    assert_null(observe_new(&opts, &err));
    assert_int_equal(err.kind, ERR_IO);
    assert_string_equal(err.msg, "--audit: cannot open '/nonexistent-dir-for-perch/audit.ndjson': "
                                 "No such file or directory");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_session_and_op_events),
        cmocka_unit_test(test_audit_escapes_odd_characters_and_keeps_non_utf8_values),
        cmocka_unit_test(test_audit_appends_sessions),
        cmocka_unit_test(test_audit_file_that_cannot_be_opened_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
