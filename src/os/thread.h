/*
 * src/os/thread.h: threads, mutexes, condition variables and once-flags
 * over pthreads (Apple ships no C11 <threads.h>).
 *
 * Threads are always created with an explicit stack size: secondary threads
 * get as little as 512 KiB by default on macOS, and the interpreter recurses.
 */
#ifndef PERCH_OS_THREAD_H
#define PERCH_OS_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct err;

/* Default stack for interpreter threads (parallel branches). */
#define OS_THREAD_STACK_DEFAULT ((size_t)8 << 20)

struct os_thread {
    pthread_t handle;
};

struct os_mutex {
    pthread_mutex_t handle;
};

struct os_cond {
    pthread_cond_t handle;
};

typedef void *os_thread_fn(void *arg);

/* Start 'fn(arg)' on a new thread with 'stack_size' bytes of stack (0 means
 * OS_THREAD_STACK_DEFAULT; rounded up to the system minimum). */
bool os_thread_create(struct os_thread *t, size_t stack_size, os_thread_fn *fn, void *arg,
                      struct err *err);
/* Wait for the thread; stores its return value in *out_result when not NULL. */
void os_thread_join(struct os_thread *t, void **out_result);

void os_mutex_init(struct os_mutex *m);
void os_mutex_release(struct os_mutex *m);
void os_mutex_lock(struct os_mutex *m);
void os_mutex_unlock(struct os_mutex *m);

void os_cond_init(struct os_cond *c);
void os_cond_release(struct os_cond *c);
void os_cond_wait(struct os_cond *c, struct os_mutex *m);
void os_cond_signal(struct os_cond *c);
void os_cond_broadcast(struct os_cond *c);

/* Run-once initialisation (e.g. a library's global init). */
#define OS_ONCE_INIT PTHREAD_ONCE_INIT
typedef pthread_once_t os_once;
void os_once_run(os_once *once, void (*fn)(void));

/* Number of online CPUs (at least 1). */
int os_cpu_count(void);

#endif
