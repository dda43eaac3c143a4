/* finscope: ALWAYS_INLINE, for the few hot functions that must be
 * inlined where they are called whatever the compiler's inlining budget
 * says (each use says why). G_ALWAYS_INLINE would do, but it needs glib
 * 2.74 and configure asks for 2.68. */
#ifndef FINSCOPE_INLINE_H
#define FINSCOPE_INLINE_H

#if defined(__GNUC__)
#define ALWAYS_INLINE __attribute__((always_inline))
#else
#define ALWAYS_INLINE
#endif

#endif /* FINSCOPE_INLINE_H */
