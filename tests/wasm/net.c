/*
 * tests/wasm/net.c: a WASI command that calls perch's host module
 * (perch.http_get), compiled to wasm32-wasi by the build and run by
 * wasm_run_e2e.sh against a local HTTP server.
 *
 *   net URL [CAP]   GET URL into a CAP-byte buffer (default 4096); print
 *                   "errno=E status=S len=L", then the body when it fit
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("perch"), import_name("http_get"))) uint32_t
perch_http_get(const char *url, uint32_t url_len, char *buf, uint32_t buf_cap, uint32_t *out_len,
               uint32_t *status);

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: net URL [CAP]\n");
        return 2;
    }
    uint32_t cap = argc > 2 ? (uint32_t)atoi(argv[2]) : 4096;
    char *buf = malloc(cap ? cap : 1);
    uint32_t len = 0, status = 0;
    uint32_t e = perch_http_get(argv[1], (uint32_t)strlen(argv[1]), buf, cap, &len, &status);
    printf("errno=%u status=%u len=%u\n", e, status, len);
    if (e == 0)
        fwrite(buf, 1, len, stdout);
    free(buf);
    return e == 0 ? 0 : 1;
}
