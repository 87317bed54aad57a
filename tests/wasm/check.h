/*
 * tests/wasm/check.h: tiny self-checking helpers for the guest test programs.
 * Each check prints "ok NAME" or "FAIL NAME (...)"; main returns the number
 * of failures, so the host driver sees exit status 0 only when all passed.
 */
#ifndef PERCH_TESTS_WASM_CHECK_H
#define PERCH_TESTS_WASM_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, name)                                                              \
 do {                                                                                  \
  errno = 0;                                                                           \
  if (cond) {                                                                          \
   printf("ok %s\n", name);                                                            \
  } else {                                                                             \
   printf("FAIL %s (line %d, errno %d %s)\n", name, __LINE__, errno, strerror(errno)); \
   check_failures++;                                                                   \
  }                                                                                    \
 } while (0)

/* A libc call that must fail with errno 'want'. */
#define CHECK_ERRNO(expr, want, name)                                                          \
 do {                                                                                          \
  errno = 0;                                                                                   \
  long check_r_ = (long)(expr);                                                                \
  int check_e_ = errno;                                                                        \
  if (check_r_ < 0 && check_e_ == (want)) {                                                    \
   printf("ok %s\n", name);                                                                    \
  } else {                                                                                     \
   printf("FAIL %s (line %d, got %ld errno %d %s, want errno %d)\n", name, __LINE__, check_r_, \
          check_e_, strerror(check_e_), (int)(want));                                          \
   check_failures++;                                                                           \
  }                                                                                            \
 } while (0)

#endif
