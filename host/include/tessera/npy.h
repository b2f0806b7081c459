/* Writing and reading float32 arrays as NumPy .npy files (format version 1.0, little endian,
 * C order), so kernel inputs and outputs can be inspected with any NumPy. */
#ifndef TESSERA_NPY_H
#define TESSERA_NPY_H

#include <stddef.h>
#include <stdint.h>

/* Write a 1-D or 2-D float32 array (rows = 0 for 1-D of `cols` values). 0 on success, -1 on an
 * I/O error (errno set). */
int npy_write_f32(const char *path, const float *data, uint32_t rows, uint32_t cols);
/* Read a 2-D (or 1-D, rows = 1) little-endian float32 C-order array written by npy_write_f32 or
 * NumPy. *data is malloc'ed. 0 on success; -1 with a message in err on any other format. */
int npy_read_f32(const char *path, float **data, uint32_t *rows, uint32_t *cols, char *err, size_t errlen);

#endif /* TESSERA_NPY_H */
