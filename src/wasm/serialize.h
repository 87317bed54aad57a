/*
 * src/wasm/serialize.h: what serialize.c shares with the engine's tests
 * (the public half, wasm_module_serialize and wasm_module_load_cached, is in
 * wasm.h; the decode hook is in wasm_int.h).
 */
#ifndef PERCH_WASM_SERIALIZE_H
#define PERCH_WASM_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

/* Size of the fixed blob header, and of the checksum that ends every blob. */
#define WASM_BLOB_HEADER_SIZE 128u
#define WASM_BLOB_TRAILER_SIZE 8u
/* Offsets of header fields (tests patch them). */
#define WASM_BLOB_OFF_FORMAT 8u
#define WASM_BLOB_OFF_ENGINE 16u
#define WASM_BLOB_OFF_FLAVOUR 48u
#define WASM_BLOB_OFF_MODULE_HASH 64u

/*
 * How many immediate cells follow operation 'op' in internal code (for
 * br_table: the fixed part, its count), or -1 when serialize.c's layout
 * table does not describe 'op' (an operation added without updating it).
 */
int wasm_serialize_imm_count(unsigned op);
/* Bytes immediate 'k' of operation 'op' takes in a blob (4 or 8; for
 * br_table, k past the count alternates target and keep/drop), or -1. */
int wasm_serialize_imm_width(unsigned op, unsigned k);
/* Size of a function record's header in a blob's payload. */
#define WASM_BLOB_FUNC_HEADER_SIZE 24u

/* The checksum that ends a blob: over every byte before it. */
uint64_t wasm_blob_checksum(const uint8_t *bytes, size_t len);

/* SHA-256 of 'len' bytes (FIPS 180-4). */
void wasm_sha256(const uint8_t *bytes, size_t len, uint8_t out[32]);

#endif
