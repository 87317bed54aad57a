/*
 * test_observe_progress.c: the progress line of long `parallel` blocks
 * (src/observe/progress.h): its text, when it is wanted, drawing and
 * erasing, and counting from many threads (also under ThreadSanitizer:
 * label tsan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "observe/progress.h"
#include "os/thread.h"

static void
test_progress_format(void **state)
{
    (void)state;
    char buf[OBSERVE_PROGRESS_LINE_MAX];
    observe_progress_format("parallel", 37, 200, 0, INT64_C(2100000000), buf, sizeof(buf));
    assert_string_equal(buf, "\u22ef parallel: 37/200 done (2.1s)");
    observe_progress_format("parallel", 5, 9, 2, INT64_C(340000000), buf, sizeof(buf));
    assert_string_equal(buf, "\u22ef parallel: 5/9 done, 2 failed (340ms)");
    /* A small buffer is cut, never overrun. */
    char tiny[8];
    observe_progress_format("parallel", 1, 2, 0, 0, tiny, sizeof(tiny));
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static void
test_progress_wanted_only_on_a_terminal_without_no_color_or_ci(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    /* A pipe is never a terminal. */
    assert_false(observe_progress_wanted(fds[1], 100, 4, NULL, NULL));
    close(fds[0]);
    close(fds[1]);
    /* These rules hold whatever the fd is. */
    assert_false(observe_progress_wanted(2, 4, 4, NULL, NULL));
    assert_false(observe_progress_wanted(2, 100, 4, "1", NULL));
    assert_false(observe_progress_wanted(2, 100, 4, NULL, "true"));
    /* Empty values count as unset. */
    assert_int_equal(observe_progress_wanted(2, 100, 4, "", ""), isatty(2) == 1);
}

static char *
read_all(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = calloc(1, (size_t)n + 1);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    return buf;
}

static void
test_progress_draws_then_erases(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    struct observe_progress p;
    observe_progress_init(&p, f, "parallel", 3);
    observe_progress_step(&p, true);  /* first step: drawn at once */
    observe_progress_step(&p, false); /* within 100ms: not redrawn */
    observe_progress_lock(&p);
    observe_progress_clear_locked(&p); /* what a printing branch does */
    observe_progress_unlock(&p);
    observe_progress_step(&p, true); /* not shown: drawn again */
    observe_progress_finish(&p);
    char *text = read_all(f);
    const char *first = "\r\033[K\u22ef parallel: 1/3 done (";
    assert_memory_equal(text, first, strlen(first));
    const char *third = strstr(text, "\r\033[K\u22ef parallel: 3/3 done, 1 failed (");
    assert_non_null(third);
    assert_null(strstr(text, "2/3"));
    /* It ends erased. */
    size_t n = strlen(text);
    assert_true(n >= 4);
    assert_string_equal(text + n - 4, "\r\033[K");
    free(text);
    fclose(f);
}

static void
test_progress_off_writes_nothing(void **state)
{
    (void)state;
    struct observe_progress p;
    observe_progress_init(&p, NULL, "parallel", 2);
    observe_progress_step(&p, true);
    observe_progress_step(&p, false);
    assert_int_equal(p.done, 2);
    assert_int_equal(p.failed, 1);
    observe_progress_finish(&p);
}

struct stepper {
    struct observe_progress *p;
    int n;
};

static void *
stepper(void *arg)
{
    struct stepper *s = arg;
    for (int i = 0; i < s->n; i++)
        observe_progress_step(s->p, i % 10 != 0);
    return NULL;
}

static void
test_progress_counts_from_many_threads(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    struct observe_progress p;
    enum { THREADS = 6, STEPS = 500 };
    observe_progress_init(&p, f, "parallel", THREADS * STEPS);
    struct os_thread t[THREADS];
    struct stepper s = { &p, STEPS };
    for (int i = 0; i < THREADS; i++)
        assert_true(os_thread_create(&t[i], 0, stepper, &s, NULL));
    for (int i = 0; i < THREADS; i++)
        os_thread_join(&t[i], NULL);
    assert_int_equal(p.done, THREADS * STEPS);
    assert_int_equal(p.failed, THREADS * (STEPS / 10));
    observe_progress_finish(&p);
    fclose(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_format),
        cmocka_unit_test(test_progress_wanted_only_on_a_terminal_without_no_color_or_ci),
        cmocka_unit_test(test_progress_draws_then_erases),
        cmocka_unit_test(test_progress_off_writes_nothing),
        cmocka_unit_test(test_progress_counts_from_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
