/*
 * tests/wasm/tool.c: a small WASI command with several modes, compiled to
 * wasm32-wasi by the build and driven by wasi_driver.c (and, where node is
 * installed, compared with node:wasi).
 *
 *   tool args            print argc, argv and the whole environment
 *   tool exit N          exit with status N through exit() (proc_exit)
 *   tool return N        return N from main
 *   tool trap            execute `unreachable`
 *   tool divzero N       divide by N (0 traps)
 *   tool loop            spin forever (only an interrupt ends it)
 *   tool big N           print N bytes of a known pattern, in lines of 64
 *   tool cat             copy stdin to stdout, then print the byte count to stderr
 *   tool stderr          write one line to stdout and one to stderr
 *   tool sleep MS        sleep MS milliseconds and print how long it seemed
 *   tool read PATH       print the file at PATH (exit 1 with the error if it fails)
 *   tool write PATH TEXT write TEXT to PATH (exit 1 with the error if it fails)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile int sink;

int
main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "args";
    if (strcmp(mode, "args") == 0) {
        printf("argc=%d\n", argc);
        for (int i = 0; i < argc; i++)
            printf("argv[%d]=%s\n", i, argv[i]);
        for (char **e = environ; e && *e; e++)
            printf("env %s\n", *e);
        return 0;
    }
    if (strcmp(mode, "exit") == 0) {
        fflush(stdout);
        exit(argc > 2 ? atoi(argv[2]) : 0);
    }
    if (strcmp(mode, "return") == 0)
        return argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(mode, "trap") == 0) {
        printf("before trap\n");
        fflush(stdout);
        __builtin_trap();
    }
    if (strcmp(mode, "divzero") == 0) {
        int d = argc > 2 ? atoi(argv[2]) : 0;
        sink = 100 / d;
        printf("%d\n", sink);
        return 0;
    }
    if (strcmp(mode, "loop") == 0) {
        for (;;)
            sink++;
    }
    if (strcmp(mode, "big") == 0) {
        long n = argc > 2 ? atol(argv[2]) : 0;
        char line[65];
        for (long i = 0; i < n; i += 64) {
            long len = n - i < 64 ? n - i : 64;
            for (long j = 0; j < len; j++)
                line[j] = (char)('a' + (i / 64 + j) % 26);
            if (len == 64)
                line[63] = '\n';
            fwrite(line, 1, (size_t)len, stdout);
        }
        return 0;
    }
    if (strcmp(mode, "cat") == 0) {
        char buf[4096];
        long total = 0;
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
            fwrite(buf, 1, n, stdout);
            total += (long)n;
        }
        fprintf(stderr, "read %ld bytes\n", total);
        return 0;
    }
    if (strcmp(mode, "stderr") == 0) {
        printf("to stdout\n");
        fprintf(stderr, "to stderr\n");
        return 0;
    }
    if (strcmp(mode, "sleep") == 0) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        usleep((useconds_t)(argc > 2 ? atoi(argv[2]) : 0) * 1000);
        clock_gettime(CLOCK_MONOTONIC, &b);
        long ms = (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
        printf("slept %ld ms\n", ms);
        return 0;
    }
    if (strcmp(mode, "read") == 0 && argc > 2) {
        FILE *f = fopen(argv[2], "r");
        if (!f) {
            fprintf(stderr, "open %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, stdout);
        fclose(f);
        return 0;
    }
    if (strcmp(mode, "write") == 0 && argc > 3) {
        FILE *f = fopen(argv[2], "w");
        if (!f || fputs(argv[3], f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "write %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
