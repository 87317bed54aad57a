/*
 * cli_version.c: `perch --version`. The first line is "perch VERSION" (the
 * CMake project version plus git describe, PERCH_VERSION); the next lines
 * give the engine version (WASM_ENGINE_VERSION, which keys the on-disk
 * module cache), the libraries this binary runs with and the build's
 * features, so a bug report carries everything needed to reproduce it.
 */
#include "cli/cli_version.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "wasm/wasm.h"
#include "perch_version.h"

/* Sanitizers this binary was built with ("" when none). */
static const char *
sanitizer_name(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return ", asan";
#elif defined(__SANITIZE_THREAD__)
    return ", tsan";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return ", asan";
#elif __has_feature(thread_sanitizer)
    return ", tsan";
#else
    return "";
#endif
#else
    return "";
#endif
}

void
cli_print_version(FILE *out)
{
    const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
    fprintf(out, "perch %s\n", PERCH_VERSION);
    fprintf(out, "engine: %s (WebAssembly 2.0 with SIMD; WASI Preview 1)\n",
            WASM_ENGINE_VERSION);
    fprintf(out,
            "features: wasm_run, wasm run, wasi-preview1, mcp, bundle (--build), "
            "http (libcurl %s), sha256 (OpenSSL %s), json (jansson %s)\n",
            curl && curl->version ? curl->version : "?",
            OpenSSL_version(OPENSSL_VERSION_STRING), jansson_version_str());
#if defined(__clang__)
    fprintf(out, "build: clang %d.%d.%d", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
    fprintf(out, "build: gcc %d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
    fputs("build: cc", out);
#endif
#ifdef NDEBUG
    fputs(", release", out);
#else
    fputs(", assertions on", out);
#endif
    fprintf(out, "%s\n", sanitizer_name());
}
