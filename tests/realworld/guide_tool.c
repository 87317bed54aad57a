/*
 * tests/realworld/guide_tool.c: the stand-in for the modules the user
 * guide's "Common patterns" name without defining (tool.wasm,
 * extractor.wasm, check-a.wasm ...). guide.sh compiles it once with
 * `clang --target=wasm32-wasi` and copies it under each name; what it does
 * depends on argv[0], which is the module's file name under wasm_run:
 *
 *   tool.wasm PATH        print the file at PATH
 *   extractor.wasm PATH   write {"extracted":true} to PATH
 *   check-*.wasm          print "NAME: N entries in /ro/data"
 *
 * Exit status 0, or 1 with "NAME: PATH: reason" on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int
gt_fail(const char *name, const char *path)
{
    fprintf(stderr, "%s: %s: %s\n", name, path, strerror(errno));
    return 1;
}

int
main(int argc, char **argv)
{
    const char *name = argc > 0 ? argv[0] : "tool.wasm";
    const char *slash = strrchr(name, '/');
    if (slash)
        name = slash + 1;
    if (strncmp(name, "check-", 6) == 0) {
        DIR *d = opendir("/ro/data");
        if (d == NULL)
            return gt_fail(name, "/ro/data");
        int n = 0;
        for (struct dirent *e; (e = readdir(d)) != NULL;)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                n++;
        closedir(d);
        printf("%s: %d entries in /ro/data\n", name, n);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH\n", name);
        return 2;
    }
    if (strcmp(name, "extractor.wasm") == 0) {
        FILE *f = fopen(argv[1], "w");
        if (f == NULL)
            return gt_fail(name, argv[1]);
        fputs("{\"extracted\":true}\n", f);
        return fclose(f) == 0 ? 0 : gt_fail(name, argv[1]);
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL)
        return gt_fail(name, argv[1]);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}
