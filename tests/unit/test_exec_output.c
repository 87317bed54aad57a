/* test_exec_output.c: line buffers and sinks (src/exec/output.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "exec/output.h"

/* A sink that records each call, to see what reaches sinks and when. */
struct recording_sink {
    struct exec_sink base;
    struct sbuf calls; /* "<stream>:<data>|" per call */
    int count;
};

static void
record_write(struct exec_sink *base, int stream, const char *data, size_t len)
{
    struct recording_sink *r = (struct recording_sink *)base;
    sbuf_addf(&r->calls, "%d:%.*s|", stream, (int)len, data);
    r->count++;
}

static void
test_exec_output_only_whole_lines_reach_the_sink(void **state)
{
    (void)state;
    struct recording_sink rec = { { record_write }, SBUF_INIT, 0 };
    struct exec_out o;
    exec_out_init(&o, &rec.base);
    exec_out_write(&o, 1, "hel", 3);
    assert_int_equal(rec.count, 0);
    exec_out_write(&o, 1, "lo\nwor", 6);
    assert_int_equal(rec.count, 1);
    exec_out_write(&o, 2, "err line\n", 9);
    exec_out_write(&o, 1, "ld\na\nb\n", 7);
    assert_string_equal(rec.calls.buf, "1:hello\n|2:err line\n|1:world\na\nb\n|");
    exec_out_release(&o);
    sbuf_release(&rec.calls);
}

static void
test_exec_output_flush_terminates_the_last_line(void **state)
{
    (void)state;
    struct recording_sink rec = { { record_write }, SBUF_INIT, 0 };
    struct exec_out o;
    exec_out_init(&o, &rec.base);
    exec_out_write(&o, 1, "no newline", 10);
    exec_out_release(&o); /* flushes */
    assert_string_equal(rec.calls.buf, "1:no newline\n|");
    sbuf_release(&rec.calls);
}

static void
test_exec_output_endless_line_is_passed_on_in_pieces(void **state)
{
    (void)state;
    struct recording_sink rec = { { record_write }, SBUF_INIT, 0 };
    struct exec_out o;
    exec_out_init(&o, &rec.base);
    char chunk[1024];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 200; i++)
        exec_out_write(&o, 1, chunk, sizeof(chunk));
    assert_true(rec.count >= 2); /* never buffered whole */
    assert_true(o.partial[0].len < EXEC_OUT_MAX_PARTIAL);
    exec_out_release(&o);
    sbuf_release(&rec.calls);
}

static void
test_exec_output_capture_sink_keeps_streams_apart(void **state)
{
    (void)state;
    struct recording_sink rec = { { record_write }, SBUF_INIT, 0 };
    struct exec_capture_sink cap;
    exec_capture_sink_init(&cap, &rec.base);
    struct exec_out o;
    exec_out_init(&o, &cap.base);
    exec_out_write(&o, 1, "out1\n", 5);
    exec_out_write(&o, 2, "err1\n", 5);
    exec_out_write(&o, 1, "out2\n", 5);
    exec_out_release(&o);
    assert_string_equal(cap.out.buf, "out1\nout2\n");
    assert_string_equal(cap.err.buf, "err1\n");
    assert_string_equal(cap.all.buf, "out1\nerr1\nout2\n");
    assert_int_equal(rec.count, 3); /* passed on to 'next' too */
    exec_capture_sink_release(&cap);
    sbuf_release(&rec.calls);
}

static void
test_exec_output_fd_sink_writes_to_its_fds(void **state)
{
    (void)state;
    int out[2], errp[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(errp), 0);
    struct exec_fd_sink sink;
    exec_fd_sink_init(&sink, out[1], errp[1]);
    struct exec_out o;
    exec_out_init(&o, &sink.base);
    exec_out_write(&o, 1, "to stdout\n", 10);
    exec_out_write(&o, 2, "to stderr\n", 10);
    exec_out_release(&o);
    exec_fd_sink_release(&sink);
    close(out[1]);
    close(errp[1]);
    char buf[64] = { 0 };
    assert_int_equal(read(out[0], buf, sizeof(buf) - 1), 10);
    assert_string_equal(buf, "to stdout\n");
    memset(buf, 0, sizeof(buf));
    assert_int_equal(read(errp[0], buf, sizeof(buf) - 1), 10);
    assert_string_equal(buf, "to stderr\n");
    close(out[0]);
    close(errp[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_output_only_whole_lines_reach_the_sink),
        cmocka_unit_test(test_exec_output_flush_terminates_the_last_line),
        cmocka_unit_test(test_exec_output_endless_line_is_passed_on_in_pieces),
        cmocka_unit_test(test_exec_output_capture_sink_keeps_streams_apart),
        cmocka_unit_test(test_exec_output_fd_sink_writes_to_its_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
