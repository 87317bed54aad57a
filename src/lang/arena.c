/*
 * arena.c: the bump allocator that owns one program's tree.
 *
 * Chunks are chained; a request larger than a chunk gets a chunk of its
 * own. Nothing is ever freed individually: lang_arena_free() drops it all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/xalloc.h"
#include "lang/lang_int.h"

#define ARENA_CHUNK_SIZE (64u * 1024u)
#define ARENA_ALIGN      16u

struct arena_chunk {
    struct arena_chunk *prev;
    size_t used, size; /* bytes of 'data' */
    _Alignas(16) unsigned char data[];
};

struct lang_arena {
    struct arena_chunk *head;
};

struct lang_arena *
lang_arena_new(void)
{
    return xcalloc(1, sizeof(struct lang_arena));
}

void
lang_arena_free(struct lang_arena *arena)
{
    if (!arena)
        return;
    struct arena_chunk *c = arena->head;
    while (c) {
        struct arena_chunk *prev = c->prev;
        free(c);
        c = prev;
    }
    free(arena);
}

void *
lang_arena_alloc(struct lang_arena *arena, size_t size)
{
    size_t rounded;
    if (!check_add_size(size, ARENA_ALIGN - 1, &rounded))
        BUG("arena request too large");
    rounded &= ~(size_t)(ARENA_ALIGN - 1);
    if (rounded == 0)
        rounded = ARENA_ALIGN;
    struct arena_chunk *c = arena->head;
    if (!c || c->size - c->used < rounded) {
        size_t chunk = rounded > ARENA_CHUNK_SIZE ? rounded : ARENA_CHUNK_SIZE;
        size_t total;
        if (!check_add_size(sizeof(struct arena_chunk), chunk, &total))
            BUG("arena request too large");
        c = xmalloc(total);
        c->used = 0;
        c->size = chunk;
        if (rounded > ARENA_CHUNK_SIZE && arena->head) {
            /* A big block: keep the current chunk as head for small ones. */
            c->prev = arena->head->prev;
            arena->head->prev = c;
            c->used = rounded;
            memset(c->data, 0, rounded);
            return c->data;
        }
        c->prev = arena->head;
        arena->head = c;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    memset(p, 0, rounded);
    return p;
}

void *
lang_arena_dup(struct lang_arena *arena, const void *data, size_t size)
{
    if (size == 0)
        return NULL;
    void *p = lang_arena_alloc(arena, size);
    memcpy(p, data, size);
    return p;
}

char *
lang_arena_strndup(struct lang_arena *arena, const char *s, size_t len)
{
    char *p = lang_arena_alloc(arena, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *
lang_arena_strdup(struct lang_arena *arena, const char *s)
{
    return lang_arena_strndup(arena, s, strlen(s));
}

char *
lang_arena_printf(struct lang_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        BUG("bad format");
    char *p = lang_arena_alloc(arena, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
