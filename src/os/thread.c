/* thread.c: pthread wrappers (see thread.h). Failures of mutex and condition
 * calls are programmer errors (bad object, deadlock) and abort. */
#include "os/thread.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"

bool
os_thread_create(struct os_thread *t, size_t stack_size, os_thread_fn *fn, void *arg,
                 struct err *err)
{
    if (stack_size == 0)
        stack_size = OS_THREAD_STACK_DEFAULT;
#ifdef PTHREAD_STACK_MIN
    if (stack_size < (size_t)PTHREAD_STACK_MIN)
        stack_size = (size_t)PTHREAD_STACK_MIN;
#endif
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0)
        stack_size = (stack_size + (size_t)page - 1) / (size_t)page * (size_t)page;
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return err_errno(err, rc, "cannot create thread");
    rc = pthread_attr_setstacksize(&attr, stack_size);
    if (rc == 0)
        rc = pthread_create(&t->handle, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return err_errno(err, rc, "cannot create thread");
    return true;
}

void
os_thread_join(struct os_thread *t, void **out_result)
{
    void *result = NULL;
    int rc = pthread_join(t->handle, &result);
    if (rc != 0)
        BUG("pthread_join: %s", strerror(rc));
    if (out_result)
        *out_result = result;
}

void
os_mutex_init(struct os_mutex *m)
{
    if (pthread_mutex_init(&m->handle, NULL) != 0)
        BUG("pthread_mutex_init failed");
}

void
os_mutex_release(struct os_mutex *m)
{
    if (m)
        pthread_mutex_destroy(&m->handle);
}

void
os_mutex_lock(struct os_mutex *m)
{
    if (pthread_mutex_lock(&m->handle) != 0)
        BUG("pthread_mutex_lock failed");
}

void
os_mutex_unlock(struct os_mutex *m)
{
    if (pthread_mutex_unlock(&m->handle) != 0)
        BUG("pthread_mutex_unlock failed");
}

void
os_cond_init(struct os_cond *c)
{
    if (pthread_cond_init(&c->handle, NULL) != 0)
        BUG("pthread_cond_init failed");
}

void
os_cond_release(struct os_cond *c)
{
    if (c)
        pthread_cond_destroy(&c->handle);
}

void
os_cond_wait(struct os_cond *c, struct os_mutex *m)
{
    if (pthread_cond_wait(&c->handle, &m->handle) != 0)
        BUG("pthread_cond_wait failed");
}

void
os_cond_signal(struct os_cond *c)
{
    pthread_cond_signal(&c->handle);
}

void
os_cond_broadcast(struct os_cond *c)
{
    pthread_cond_broadcast(&c->handle);
}

void
os_once_run(os_once *once, void (*fn)(void))
{
    if (pthread_once(once, fn) != 0)
        BUG("pthread_once failed");
}

int
os_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > INT_MAX ? INT_MAX : (int)n;
}
