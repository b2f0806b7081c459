/* Minimal printf formatting, portable C: the firmware's printf and the host's unit tests share it.
 * Conversions: %d %i %u %x %X %c %s %p %%, with flags '-' and '0', a width, and the length
 * modifiers l (32 bits on the controller) and ll (64 bits). */
#ifndef TFW_FORMAT_H
#define TFW_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*tfw_out_fn)(void *ctx, char c);

/* Formats to out; returns the number of characters produced. */
int tfw_vformat(tfw_out_fn out, void *ctx, const char *fmt, va_list ap);
/* snprintf-like: writes at most cap - 1 characters and a NUL; returns the full length. */
int tfw_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* TFW_FORMAT_H */
