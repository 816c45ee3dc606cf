#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }
static inline int cn_colors(void) { return COLORS; }
static inline int cn_color_pairs(void) { return COLOR_PAIRS; }
static inline int cn_key_resize(void) { return KEY_RESIZE; }
static inline int cn_key_up(void) { return KEY_UP; }
static inline int cn_key_down(void) { return KEY_DOWN; }
static inline int cn_key_left(void) { return KEY_LEFT; }
static inline int cn_key_right(void) { return KEY_RIGHT; }
static inline int cn_key_sleft(void) { return KEY_SLEFT; }
static inline int cn_key_sright(void) { return KEY_SRIGHT; }
static inline int cn_key_home(void) { return KEY_HOME; }
static inline int cn_key_end(void) { return KEY_END; }
static inline int cn_key_ppage(void) { return KEY_PPAGE; }
static inline int cn_key_npage(void) { return KEY_NPAGE; }
static inline int cn_key_backspace(void) { return KEY_BACKSPACE; }
static inline int cn_key_dc(void) { return KEY_DC; }
static inline int cn_key_enter(void) { return KEY_ENTER; }
static inline int cn_key_btab(void) { return KEY_BTAB; }
static inline int cn_key_f(int n) { return KEY_F(n); }
static inline int cn_key_code_yes(void) { return KEY_CODE_YES; }
static inline int cn_key_sf(void) { return KEY_SF; }
static inline int cn_key_sr(void) { return KEY_SR; }
static inline int cn_key_max(void) { return KEY_MAX; }

/// tigetstr() that returns NULL for both "absent" (0) and "not a string capability" (-1).
static inline const char *cn_tigetstr(const char *name) {
    char *value = tigetstr(name);
    if (value == NULL || value == (char *)-1) return NULL;
    return value;
}

/// The key code ncurses assigned to an extended key capability (e.g. "kUP"), or 0.
static inline int cn_extended_key(const char *name) {
    const char *value = cn_tigetstr(name);
    if (value == NULL) return 0;
    int code = key_defined(value);
    return code > 0 ? code : 0;
}

/// Writes one grapheme (up to CCHARW_MAX-1 wide characters, NUL-terminated) at (y, x)
/// with attributes and an extended colour pair.
static inline int cn_put_cell(WINDOW *win, int y, int x, const wchar_t *wch, attr_t attrs,
                              int pair) {
    cchar_t cell;
    int extended = pair;
    if (setcchar(&cell, wch, attrs, (short)(pair > 32767 ? 0 : pair), &extended) == ERR) {
        return ERR;
    }
    return mvwadd_wch(win, y, x, &cell);
}

static inline int cn_ccharw_max(void) { return CCHARW_MAX; }
static inline FILE *cn_stdout(void) { return stdout; }
static inline FILE *cn_stdin(void) { return stdin; }
static inline attr_t cn_a_bold(void) { return A_BOLD; }
static inline attr_t cn_a_dim(void) { return A_DIM; }
static inline attr_t cn_a_underline(void) { return A_UNDERLINE; }
static inline attr_t cn_a_reverse(void) { return A_REVERSE; }
static inline attr_t cn_a_italic(void) { return A_ITALIC; }
static inline attr_t cn_a_normal(void) { return A_NORMAL; }
static inline int cn_err(void) { return ERR; }
static inline int cn_ok(void) { return OK; }
#endif
