/* A sparse MLP trained on the device: the job of `tessera mlp` (docs/training.md).
 *
 * Model: h0 = X (tokens x width, fixed synthetic inputs); for l = 1..L: pre_l = h_{l-1} W_l^T with
 * W_l a width x width sparse matrix (random static mask at the density, SµPar init), h_l =
 * gelu(pre_l) for l < L; logits = pre_L over `width` classes; loss = mean cross-entropy against
 * labels from a fixed random teacher (learnable). Optimiser: AdamW on the fp32 master weights in
 * stream-slot order, with the bf16 copy the tiles read.
 *
 * A step is a few commands (fusion groups): forward + loss + dlogits, backward, update. Fused, the
 * chain inside a command passes through transient tensors the firmware keeps on chip, and the
 * backward recomputes h_l from pre_l instead of reading it; unfused, every op is its own command and
 * every intermediate goes through DRAM. Both give the same bits.
 *
 * Host side arrays are fp32 bit patterns in uint32_t (no host float arithmetic touches device
 * data). Nothing aborts: functions return an enum tdev_status with a message in mlp->err. */
#ifndef TESSERA_TRAIN_MLP_H
#define TESSERA_TRAIN_MLP_H

#include <stdint.h>

#include "tessera/sparse.h"
#include "tessera/tdev.h"

#define MLP_MAX_LAYERS 8u

enum mlp_pattern { MLP_PAT_UNSTRUCTURED = 0, MLP_PAT_BLOCK, MLP_PAT_NM24, MLP_PAT_DENSE };

struct mlp_cfg {
  uint32_t layers;   /* 1..MLP_MAX_LAYERS */
  uint32_t width;    /* features and classes */
  uint32_t tokens;
  double density;    /* (0, 1] */
  enum mlp_pattern pattern;
  uint64_t seed;
  int fuse;          /* 1: fused commands with transient tensors */
  uint32_t lr, beta1, beta2, eps, weight_decay; /* fp32 bits */
};
void mlp_cfg_default(struct mlp_cfg *c);

struct mlp_layer {
  struct tsp_stream st;
  uint32_t groups;       /* G: stream groups */
  uint32_t *w;           /* [G*P] fp32 master weights, slot order (0 in empty slots) */
  struct tdev_buf S, WV, W, M, V, dW; /* stream, bf16 copy, master, moments, gradient */
  struct tdev_buf pre, h, dh, dpre;   /* activations [tokens][width] */
};

struct mlp {
  struct mlp_cfg cfg;
  uint32_t p;              /* nonzeros per group of the device */
  uint32_t *x0;            /* [tokens][width] inputs, bf16-representable fp32 */
  uint32_t *labels;        /* [tokens] */
  struct mlp_layer layer[MLP_MAX_LAYERS];
  struct tdev_buf X0, LAB, LOSS, DLOGITS;
  tdev *dev;               /* NULL until mlp_attach */
  uint32_t step;           /* AdamW steps taken */
  uint32_t ncmds;          /* commands of the last step */
  uint32_t last_seq;       /* seq of the last command submitted */
  char err[256];
};

/* What one step measured (deltas of the device counters over the step). */
struct mlp_step_stats {
  double loss;            /* mean over tokens, from the device's per-token losses */
  uint64_t cycles, dram_bytes, macs, tile_busy_any, busy_any;
  double utilization;     /* macs / (cycles * peak MACs per cycle of all tiles) */
  double controller_gap;  /* cycles with neither a tile nor the DMA busy, over cycles */
  uint32_t commands;
};

/* Build the host side: masks, streams, weights, data. TDEV_E_ARG (message in m->err) for a bad cfg. */
enum tdev_status mlp_init(struct mlp *m, const struct mlp_cfg *cfg);
void mlp_free(struct mlp *m);
/* Allocate the device buffers and upload data and weights (m->dev = d). */
enum tdev_status mlp_attach(struct mlp *m, tdev *d);
/* Forward + backward only (no update): loss in *loss; gradients are then in each layer's dW buffer. */
enum tdev_status mlp_forward_backward(struct mlp *m, double *loss);
/* One training step (forward, backward, AdamW); st may be NULL. */
enum tdev_status mlp_step(struct mlp *m, struct mlp_step_stats *st);
/* Read layer l's fp32 gradients [G*P] (slot order) / master weights from the device. */
enum tdev_status mlp_read_grad(struct mlp *m, uint32_t l, uint32_t *g);
enum tdev_status mlp_read_weights(struct mlp *m, uint32_t l, uint32_t *w);

/* float64 reference of the same model (host/train/mlp_ref64.c): the weights are the bf16 copies
 * (what the tiles multiply with), wv[l] in slot order. Returns the mean loss; with grad != NULL
 * fills grad[l] [G*P] with dLoss/dW at each slot (0 for empty slots). */
double mlp_ref64_loss_grad(const struct mlp *m, const uint32_t *const *wv, double *const *grad);

#endif /* TESSERA_TRAIN_MLP_H */
