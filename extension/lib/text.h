/*
 * text.h
 *		UTF-8 text a person is shown (a client's name, a scope's words):
 *		the characters that may not be shown, and a decoder.
 *
 * Pure C: no PostgreSQL headers.
 */
#ifndef MCP_OAUTH_TEXT_H
#define MCP_OAUTH_TEXT_H

/*
 * Backend files may include this header after postgres.h; the .c file
 * checks at its end that it was compiled without PostgreSQL headers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length of the well-formed UTF-8 sequence at s (at most avail bytes, avail
 * > 0) with its code point in *cp, or 0 if there is none (overlong forms,
 * surrogates and values above U+10FFFF are not well-formed).
 */
extern size_t text_utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);

/*
 * Whether code point cp may not be shown to a person: C0 and C1 controls
 * and DEL; bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) and the other format characters that reorder or hide text
 * (U+00AD, U+180E, U+200B, U+2060-U+2064, U+206A-U+206F, U+FEFF,
 * U+FFF9-U+FFFB, tags U+E0000-U+E007F); line and paragraph separators
 * (U+2028, U+2029); blank fillers (U+115F, U+1160, U+3164, U+FFA0);
 * private-use code points and noncharacters.  The joiners U+200C and
 * U+200D (Persian words, emoji sequences) and variation selectors may be.
 */
extern bool text_char_hidden(uint32_t cp);

/*
 * Why the NUL-terminated s may not be shown to a person, or NULL: not
 * well-formed UTF-8, or a character text_char_hidden() refuses.  A short
 * English phrase to follow the field's name ("contains ...").
 */
extern const char *text_display_problem(const char *s);

/*
 * s without the characters text_char_hidden() refuses and without bytes
 * that are not well-formed UTF-8, into out (outsz bytes, NUL-terminated;
 * strlen(s) + 1 always fit).  False, out emptied, if it does not fit.
 */
extern bool text_display_clean(const char *s, char *out, size_t outsz);

#endif
