/*
 * src/ops/http_client.h: the libcurl settings every HTTP client of perch
 * shares (ops_http.c: http_get and download; ops_wasm.c: the `perch` host
 * module's http_get), so both speak HTTP the same way: http and https only,
 * certificates verified, redirects followed by the caller (which checks
 * each hop), no signals, a stall limit, proxies from the run's environment.
 */
#ifndef PERCH_OPS_HTTP_CLIENT_H
#define PERCH_OPS_HTTP_CLIENT_H

#include <curl/curl.h>
#include <stdbool.h>

struct op_ctx;

/* Aborts a transfer slower than 1 byte/s for this long (a stalled server). */
#define OPS_HTTP_STALL_SECONDS 60L
/* The longest a connection may take (less when the deadline is nearer). */
#define OPS_HTTP_CONNECT_MS 30000L

/* A new handle ('errbuf' holds CURL_ERROR_SIZE bytes): the body goes to
 * 'on_write' (with 'write_data'), progress to 'on_xfer' (which aborts
 * the transfer by returning non-zero). 'decode' asks for compressed bodies
 * and decodes them. NULL when libcurl cannot make one. */
CURL *ops_http_client_new(char *errbuf, const char *user_agent, bool decode,
                          curl_write_callback on_write, void *write_data,
                          curl_xferinfo_callback on_xfer, void *progress_data);

/* Before each hop to 'url': the time limits for 'left_ms' until the deadline
 * (-1: none) and the proxy for the URL's scheme from the scope's
 * environment (http_proxy, https_proxy, all_proxy, no_proxy, either case;
 * none set means no proxy, never the process environment). */
void ops_http_client_hop(CURL *h, struct op_ctx *ctx, const char *url, long left_ms);

#endif
