/* ops_hash.c: SHA-256 of text and of files (OpenSSL libcrypto's EVP
 * interface), as lower-case hex. Files are hashed in chunks, so their size
 * is not limited by memory. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "ops/ops_int.h"
#include "os/fs.h"

static void
add_hex(struct sbuf *out, const unsigned char *digest, unsigned len)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        sbuf_addc(out, hex[digest[i] >> 4]);
        sbuf_addc(out, hex[digest[i] & 15]);
    }
}

bool
ops_do_sha256(struct op_call *call, struct sbuf *out, struct err *err)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    const char *text = call->argv[0];
    if (!EVP_Digest(text, strlen(text), digest, &len, EVP_sha256(), NULL))
        return err_set(err, ERR_IO, "sha256: hashing failed");
    add_hex(out, digest, len);
    return true;
}

bool
ops_do_sha256_file(struct op_call *call, struct sbuf *out, struct err *err)
{
    char *path = ops_path_for_read(call, call->argv[0], err);
    if (!path)
        return false;
    bool ok = false;
    EVP_MD_CTX *md = NULL;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        os_errno(err, errno, "sha256_file: cannot open '%s'", path);
        goto fail;
    }
    md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        err_set(err, ERR_IO, "sha256_file: hashing failed");
        goto fail;
    }
    buf = malloc(65536);
    if (!buf) {
        err_set(err, ERR_OOM, "sha256_file: out of memory");
        goto fail;
    }
    for (;;) {
        ssize_t n = read(fd, buf, 65536);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            os_errno(err, errno, "sha256_file: cannot read '%s'", path);
            goto fail;
        }
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(md, buf, (size_t)n)) {
            err_set(err, ERR_IO, "sha256_file: hashing failed");
            goto fail;
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!EVP_DigestFinal_ex(md, digest, &len)) {
        err_set(err, ERR_IO, "sha256_file: hashing failed");
        goto fail;
    }
    add_hex(out, digest, len);
    ok = true;
fail:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(md);
    free(buf);
    free(path);
    return ok;
}
