/* test_os_thread.c: thread wrappers (explicit stack size, mutex,
 * condition variable, once), clocks and host facts. */
/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "os/clock.h"
#include "os/sysinfo.h"
#include "os/thread.h"

struct counter {
    struct os_mutex lock;
    struct os_cond changed;
    long value; /* protected by 'lock' */
};

static void *
add_many(void *arg)
{
    struct counter *c = arg;
    /* A deep local array: fine with the 1 MiB stack asked for below. */
    volatile char scratch[256 * 1024];
    scratch[0] = 1;
    scratch[sizeof(scratch) - 1] = scratch[0];
    for (int i = 0; i < 10000; i++) {
        os_mutex_lock(&c->lock);
        c->value++;
        os_cond_broadcast(&c->changed);
        os_mutex_unlock(&c->lock);
    }
    return arg;
}

static void
test_os_thread_mutex_counts_exactly(void **state)
{
    (void)state;
    struct counter c = { .value = 0 };
    os_mutex_init(&c.lock);
    os_cond_init(&c.changed);
    struct os_thread t[4];
    struct err err = { 0 };
    for (int i = 0; i < 4; i++)
        assert_true(os_thread_create(&t[i], 1 << 20, add_many, &c, &err));
    /* Wait on the condition until every increment is in. */
    os_mutex_lock(&c.lock);
    while (c.value < 40000)
        os_cond_wait(&c.changed, &c.lock);
    os_mutex_unlock(&c.lock);
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        os_thread_join(&t[i], &ret);
        assert_ptr_equal(ret, &c);
    }
    assert_int_equal(c.value, 40000);
    os_cond_release(&c.changed);
    os_mutex_release(&c.lock);
}

static int once_calls;

static void
count_once(void)
{
    once_calls++;
}

static void
test_os_once_runs_once(void **state)
{
    (void)state;
    os_once once = OS_ONCE_INIT;
    os_once_run(&once, count_once);
    os_once_run(&once, count_once);
    assert_int_equal(once_calls, 1);
    assert_true(os_cpu_count() >= 1);
}

static void
test_os_clock_and_sleep(void **state)
{
    (void)state;
    int64_t a = os_clock_mono_ns();
    assert_int_equal(os_sleep_ns(20 * OS_NS_PER_MS, 0, NULL), OS_SLEEP_DONE);
    int64_t b = os_clock_mono_ns();
    assert_true(b - a >= 20 * OS_NS_PER_MS);
    assert_true(os_clock_wall_ns() > INT64_C(1700000000) * OS_NS_PER_SEC);
    /* The deadline cuts a sleep short. */
    assert_int_equal(os_sleep_ns(10 * OS_NS_PER_SEC, b + 30 * OS_NS_PER_MS, NULL),
                     OS_SLEEP_DEADLINE);
    assert_true(os_clock_mono_ns() - b < 2 * OS_NS_PER_SEC);
    atomic_int flag;
    atomic_init(&flag, 1);
    assert_int_equal(os_sleep_ns(10 * OS_NS_PER_SEC, 0, &flag), OS_SLEEP_INTERRUPTED);
    assert_int_equal(os_deadline_ms_left(0), -1);
    assert_int_equal(os_deadline_ms_left(1), 0);
    int left = os_deadline_ms_left(os_clock_mono_ns() + 5 * OS_NS_PER_SEC);
    assert_true(left > 4000 && left <= 5000);
}

static void
test_os_sysinfo(void **state)
{
    (void)state;
    struct err err = { 0 };
    char *exe = os_self_exe_path(&err);
    assert_non_null(exe);
    assert_true(exe[0] == '/');
    assert_non_null(strstr(exe, "test_os_thread"));
    free(exe);
    char *t = os_temp_dir("/custom/tmp/");
    assert_string_equal(t, "/custom/tmp");
    free(t);
    t = os_temp_dir("relative");
    assert_string_equal(t, "/tmp");
    free(t);
    t = os_temp_dir(NULL);
    assert_string_equal(t, "/tmp");
    free(t);
    char *h = os_home_dir("/home/someone");
    assert_string_equal(h, "/home/someone");
    free(h);
    char *host = os_hostname();
    assert_non_null(host);
    assert_true(host[0] != '\0');
    free(host);
    free(os_user_name());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_thread_mutex_counts_exactly),
        cmocka_unit_test(test_os_once_runs_once),
        cmocka_unit_test(test_os_clock_and_sleep),
        cmocka_unit_test(test_os_sysinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
