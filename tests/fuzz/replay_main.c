/*
 * tests/fuzz/replay_main.c: main() for fuzz targets in ordinary builds.
 *
 * Without libFuzzer, each tests/fuzz/fuzz_*.c is linked with this file into
 * a plain program that feeds every file named on the command line (or found
 * directly inside a named folder) to LLVMFuzzerTestOneInput once. CTest uses
 * it to replay the corpus, so the targets keep compiling and past crashers
 * stay fixed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/sbuf.h"
#include "base/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    struct sbuf sb = SBUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        sbuf_add(&sb, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        fprintf(stderr, "replay: cannot read '%s'\n", path);
        sbuf_release(&sb);
        return 1;
    }
    /* A private copy of exactly 'len' bytes, so reads past the end are caught by ASan. */
    uint8_t *data = xmalloc(sb.len ? sb.len : 1);
    memcpy(data, sb.buf, sb.len);
    LLVMFuzzerTestOneInput(data, sb.len);
    free(data);
    sbuf_release(&sb);
    return 0;
}

int
main(int argc, char **argv)
{
    int errors = 0;
    unsigned long count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: cannot stat '%s': %s\n", argv[i], strerror(errno));
            errors++;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            errors += replay_file(argv[i]);
            count++;
            continue;
        }
        DIR *dir = opendir(argv[i]);
        if (!dir) {
            fprintf(stderr, "replay: cannot open '%s': %s\n", argv[i], strerror(errno));
            errors++;
            continue;
        }
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char *path = xasprintf("%s/%s", argv[i], de->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                errors += replay_file(path);
                count++;
            }
            free(path);
        }
        closedir(dir);
    }
    printf("replayed %lu inputs\n", count);
    return errors ? 1 : 0;
}
