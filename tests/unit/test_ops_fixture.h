/*
 * test_ops_fixture.h: the fixture shared by the op family tests: one fake
 * interpreter 'f', one capture buffer 'out', setup/teardown for cmocka, and
 * the run-and-check macros. Include after <cmocka.h>, in one test program
 * only (it defines statics).
 */
#ifndef PERCH_TESTS_UNIT_TEST_OPS_FIXTURE_H
#define PERCH_TESTS_UNIT_TEST_OPS_FIXTURE_H

#include <string.h>

#include "test_ops_fake.h"

static struct fake f;
static struct sbuf out = SBUF_INIT;

/* Run an op whose value is captured; fail the test if it fails. */
#define RUN_OK(...)                                  \
 do {                                                \
  struct err err_ = { 0 };                           \
  if (!fake_run(&f, &out, &err_, __VA_ARGS__, NULL)) \
   fail_msg("op failed: %s", err_.msg);              \
 } while (0)

/* Run an op as a statement (value not captured); fail the test if it fails. */
#define RUN_STMT_OK(...)                                        \
 do {                                                           \
  struct err err_ = { 0 };                                      \
  if (!fake_run_uncaptured(&f, &out, &err_, __VA_ARGS__, NULL)) \
   fail_msg("op failed: %s", err_.msg);                         \
 } while (0)

/* Run an op and expect exactly 'want' as its captured value. */
#define EXPECT(want, ...)             \
 do {                                 \
  RUN_OK(__VA_ARGS__);                \
  assert_string_equal(out.buf, want); \
 } while (0)

/* Expect failure of 'want_kind' with 'fragment' in the message. */
#define EXPECT_FAIL(want_kind, fragment, ...)                   \
 do {                                                           \
  struct err err_ = { 0 };                                      \
  assert_false(fake_run(&f, &out, &err_, __VA_ARGS__, NULL));   \
  assert_int_equal(err_.kind, want_kind);                       \
  if (!strstr(err_.msg, fragment))                              \
   fail_msg("message \"%s\" lacks \"%s\"", err_.msg, fragment); \
 } while (0)

static int
setup(void **state)
{
    (void)state;
    fake_init(&f);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fake_release(&f);
    sbuf_release(&out);
    return 0;
}

#endif
