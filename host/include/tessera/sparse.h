/* Sparse weight masks and the tile's nonzero stream (docs/tile.md).
 *
 * A mask is n*k bytes, row-major, 1 where W[i][j] is kept. A stream is the order in which the
 * tile's streamer issues the nonzeros: groups of P slots, each group belonging to one output row,
 * slots of a group in distinct sub-banks whenever the row allows it. */
#ifndef TESSERA_SPARSE_H
#define TESSERA_SPARSE_H

#include <stddef.h>
#include <stdint.h>

typedef enum tsp_status {
  TSP_OK = 0,
  TSP_ERR_ARG,   /* a NULL pointer, a zero or too large dimension, a density outside (0, 1] */
  TSP_ERR_NOMEM, /* out of memory */
} tsp_status;

const char *tsp_status_str(tsp_status st);

/* Largest n or k: indices are 16 bits in the stream. */
#define TSP_MAX_DIM 65535u
/* Largest P (nonzeros per group). */
#define TSP_MAX_P 16u
/* A slot holding no nonzero. */
#define TSP_EMPTY 0xFFFFu
/* Group flags. */
#define TSP_FIRST 0x1u
#define TSP_LAST 0x2u

/* The generator behind every random mask (splitmix64: small, fast, the same sequence on every
 * host); other host code that needs reproducible randomness uses it too. */
uint64_t tsp_rng_next(uint64_t *state);

/* Nonzeros a row of k columns keeps at a density (round to nearest, at least 1). */
uint32_t tsp_row_count(uint32_t k, double density);

tsp_status tsp_mask_dense(uint8_t *mask, uint32_t n, uint32_t k);
/* Each row keeps tsp_row_count(k, density) columns chosen uniformly at random. */
tsp_status tsp_mask_random(uint8_t *mask, uint32_t n, uint32_t k, double density, uint64_t seed);
/* Each row keeps tsp_row_count(ceil(k / p), density) aligned blocks of p columns (the last block of
 * a ragged row is cut at k). */
tsp_status tsp_mask_block(uint8_t *mask, uint32_t n, uint32_t k, uint32_t p, double density, uint64_t seed);
/* Exactly nn of every aligned group of mm columns (min(nn, r) of a last group of r < mm columns). */
tsp_status tsp_mask_nm(uint8_t *mask, uint32_t n, uint32_t k, uint32_t nn, uint32_t mm, uint64_t seed);
/* Each row keeps its tsp_row_count(k, density) largest |w| (ties: the lower column). */
tsp_status tsp_mask_magnitude(uint8_t *mask, const float *w, uint32_t n, uint32_t k, double density);

struct tsp_stream {
  uint32_t n, k;          /* matrix shape: n output rows, k input columns */
  uint32_t p, s;          /* slots per group, sub-banks */
  uint32_t ngroups;
  uint32_t nnz;
  uint16_t *row;          /* [ngroups] output row of each group */
  uint8_t *flags;         /* [ngroups] TSP_FIRST / TSP_LAST */
  uint16_t *col;          /* [ngroups * p] column of each slot, TSP_EMPTY if empty */
  uint32_t *src;          /* [ngroups * p] i * k + j of the slot's nonzero, UINT32_MAX if empty */
  uint32_t empty_slots;   /* slots holding no nonzero */
  uint32_t conflict_cycles; /* extra cycles: per group, accesses to its busiest sub-bank minus one */
};

/* Build the stream of a mask. reorder = 1: per row, fill each group from the P sub-banks with the
 * most nonzeros left (optimal: no avoidable conflict, minimal groups); reorder = 0: column order,
 * P at a time. p in [1, TSP_MAX_P], s a power of two in [1, 64]. Free with tsp_stream_free. */
tsp_status tsp_stream_build(struct tsp_stream *st, const uint8_t *mask, uint32_t n, uint32_t k, uint32_t p,
                            uint32_t s, int reorder);
void tsp_stream_free(struct tsp_stream *st);
/* Lower bound on the groups of any stream of this mask (sum over rows of max(ceil(nnz_i/p), max_s c_is)). */
uint32_t tsp_min_groups(const uint8_t *mask, uint32_t n, uint32_t k, uint32_t p, uint32_t s);

#endif /* TESSERA_SPARSE_H */
