/* theme: semantic colour slots (declared once), theme files, colour fallbacks, curses pairs. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "theme.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#ifndef LL_THEME_DIR
#define LL_THEME_DIR "/usr/local/share/lendlab/themes"
#endif

#define TUI_THEME_MAX_BYTES (1 << 20)

static const char *const slot_names[TUI_SLOT_COUNT] = {
#define X_NAME(id, name, fg, bg, at, mono, doc) name,
    TUI_SLOTS(X_NAME)
#undef X_NAME
};
static const char *const slot_docs[TUI_SLOT_COUNT] = {
#define X_DOC(id, name, fg, bg, at, mono, doc) doc,
    TUI_SLOTS(X_DOC)
#undef X_DOC
};
static const tui_style slot_defaults[TUI_SLOT_COUNT] = {
#define X_DEF(id, name, fg, bg, at, mono, doc) {fg, bg, at},
    TUI_SLOTS(X_DEF)
#undef X_DEF
};
static const unsigned slot_mono[TUI_SLOT_COUNT] = {
#define X_MONO(id, name, fg, bg, at, mono, doc) mono,
    TUI_SLOTS(X_MONO)
#undef X_MONO
};

/* Curses attributes per slot under the applied theme; owned by the UI thread. */
static unsigned long slot_attr[TUI_SLOT_COUNT];

const char *tui_slot_name(tui_slot s)
{
    return (unsigned)s < TUI_SLOT_COUNT ? slot_names[s] : "?";
}

const char *tui_slot_doc(tui_slot s)
{
    return (unsigned)s < TUI_SLOT_COUNT ? slot_docs[s] : "?";
}

/* Case-insensitive comparison treating '-' and '_' alike. */
static int name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca == '-') ca = '_';
        if (cb == '-') cb = '_';
        if (ca != cb) return 0;
        if (!ca) return 1;
    }
}

int tui_slot_find(const char *name)
{
    for (int i = 0; i < TUI_SLOT_COUNT; i++)
        if (name_eq(slot_names[i], name)) return i;
    return -1;
}

int tui_color_parse(const char *s)
{
    static const char *const base[8] = {"black", "red",     "green", "yellow",
                                        "blue",  "magenta", "cyan",  "white"};
    if (!s || !*s) return -2;
    if (name_eq(s, "default")) return TUI_COLOR_DEFAULT;
    if (name_eq(s, "grey") || name_eq(s, "gray")) return 8;
    if (isdigit((unsigned char)s[0])) {
        int v = 0;
        for (const char *p = s; *p; p++) {
            if (!isdigit((unsigned char)*p)) return -2;
            v = v * 10 + (*p - '0');
            if (v > 255) return -2;
        }
        return v;
    }
    int bright = 0;
    if (!strncasecmp(s, "bright", 6)) {
        bright = 8;
        s += 6;
        if (*s == '-' || *s == '_') s++;
    }
    for (int i = 0; i < 8; i++)
        if (name_eq(s, base[i])) return i + bright;
    return -2;
}

/* xterm's default RGB for an index 0..255. */
static void color_rgb(int c, int rgb[3])
{
    static const int sys[16][3] = {{0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
                                   {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
                                   {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
                                   {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};
    static const int cube[6] = {0, 95, 135, 175, 215, 255};
    if (c < 16) {
        memcpy(rgb, sys[c], sizeof sys[c]);
    } else if (c < 232) {
        c -= 16;
        rgb[0] = cube[c / 36];
        rgb[1] = cube[(c / 6) % 6];
        rgb[2] = cube[c % 6];
    } else {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
    }
}

int tui_color_to8(int c, int *bright)
{
    *bright = 0;
    if (c < 0) return c;
    int idx = c;
    if (c >= 16) {
        int rgb[3], best = 0;
        long bestd = -1;
        color_rgb(c, rgb);
        for (int i = 0; i < 16; i++) {
            int q[3];
            color_rgb(i, q);
            long d = 0;
            for (int k = 0; k < 3; k++) d += (long)(rgb[k] - q[k]) * (rgb[k] - q[k]);
            if (bestd < 0 || d < bestd) {
                bestd = d;
                best = i;
            }
        }
        idx = best;
    }
    *bright = idx >= 8;
    return idx & 7;
}

void tui_theme_defaults(tui_theme *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "dark");
    memcpy(t->slot, slot_defaults, sizeof t->slot);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
    return s;
}

static int attr_parse(const char *s)
{
    static const struct {
        const char *name;
        int bit;
    } attrs[] = {{"bold", TUI_ATTR_BOLD},           {"dim", TUI_ATTR_DIM},
                 {"underline", TUI_ATTR_UNDERLINE}, {"reverse", TUI_ATTR_REVERSE},
                 {"italic", TUI_ATTR_ITALIC},       {"none", 0}};
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
        if (name_eq(s, attrs[i].name)) return attrs[i].bit;
    return -1;
}

/* Parse the value part of one line into st; on error fills msg. */
static int parse_value(char *v, tui_style *st, char *msg, size_t msglen)
{
    st->fg = st->bg = TUI_COLOR_DEFAULT;
    st->attrs = 0;
    int seen_fg = 0, seen_bg = 0;
    v = trim(v);
    if (!*v) {
        snprintf(msg, msglen, "empty value (expected fg=COLOR, bg=COLOR, attributes)");
        return -1;
    }
    for (char *next = v; next;) {
        /* split by hand: strtok would silently merge ",," */
        char *item = next, *comma = strchr(next, ',');
        next = comma ? comma + 1 : NULL;
        if (comma) *comma = '\0';
        item = trim(item);
        if (!*item) {
            snprintf(msg, msglen, "empty item between commas");
            return -1;
        }
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            char *key = trim(item), *val = trim(eq + 1);
            int c = tui_color_parse(val);
            if (strcasecmp(key, "fg") && strcasecmp(key, "bg")) {
                snprintf(msg, msglen, "unknown key '%.40s' (expected fg or bg)", key);
                return -1;
            }
            if (c == -2) {
                snprintf(msg, msglen, "bad colour '%.40s' (a colour name, 0-255 or default)", val);
                return -1;
            }
            int is_fg = !strcasecmp(key, "fg");
            if (is_fg ? seen_fg++ : seen_bg++) {
                snprintf(msg, msglen, "%s given twice", is_fg ? "fg" : "bg");
                return -1;
            }
            if (is_fg)
                st->fg = (short)c;
            else
                st->bg = (short)c;
        } else {
            int a = attr_parse(item);
            if (a < 0) {
                snprintf(msg, msglen,
                         "unknown attribute '%.40s' (bold, dim, underline, reverse, italic)", item);
                return -1;
            }
            st->attrs |= (unsigned)a;
        }
    }
    return 0;
}

ll_status tui_theme_parse(const char *text, size_t len, const char *fname, tui_theme *t,
                          ll_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s", t->name[0] ? t->name : "custom");
    tui_theme_defaults(t);
    snprintf(t->name, sizeof t->name, "%s", name);
    long lineno = 0;
    long set_on[TUI_SLOT_COUNT] = {0};
    const char *fn = fname ? fname : "";
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        lineno++;
        char line[1024];
        size_t n = end - pos;
        if (n >= sizeof line)
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0, "line too long");
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (memchr(line, '\0', n))
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0, "NUL byte in theme file");
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0,
                                   "expected 'slot = fg=COLOR, bg=COLOR, attributes'");
        *eq = '\0';
        char *key = trim(s);
        if (!*key || strpbrk(key, " \t"))
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0,
                                   "expected 'slot = fg=COLOR, bg=COLOR, attributes'");
        int slot = tui_slot_find(key);
        if (slot < 0)
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0, "unknown slot '%.60s'", key);
        if (set_on[slot])
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0,
                                   "slot '%s' already set on line %ld", slot_names[slot],
                                   set_on[slot]);
        char msg[160];
        tui_style st;
        if (parse_value(eq + 1, &st, msg, sizeof msg))
            return ll_error_set_at(err, LL_EPARSE, fn, lineno, 0, "%s: %s", slot_names[slot], msg);
        t->slot[slot] = st;
        set_on[slot] = lineno;
    }
    return LL_OK;
}

ll_status tui_theme_load(const char *path, tui_theme *t, ll_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ll_error_set(err, LL_EIO, "%s: %s", path, strerror(errno));
    char *buf = malloc(TUI_THEME_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return ll_error_set(err, LL_ENOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, TUI_THEME_MAX_BYTES + 1, f);
    int rerr = ferror(f);
    fclose(f);
    if (rerr || n > TUI_THEME_MAX_BYTES) {
        free(buf);
        return ll_error_set(err, LL_EIO, "%s: %s", path,
                            rerr ? "read error" : "larger than 1 MB, not a theme file");
    }
    tui_theme tmp;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(tmp.name, sizeof tmp.name, "%s", base);
    size_t bl = strlen(tmp.name);
    if (bl > 6 && !strcmp(tmp.name + bl - 6, ".theme")) tmp.name[bl - 6] = '\0';
    ll_status st = tui_theme_parse(buf, n, path, &tmp, err);
    free(buf);
    if (st == LL_OK) *t = tmp;
    return st;
}

int tui_theme_dirs(char dirs[][1024], int max)
{
    int n = 0;
    if (n < max) snprintf(dirs[n++], 1024, "themes");
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (n < max && xdg && xdg[0] == '/')
        snprintf(dirs[n++], 1024, "%s/lendlab/themes", xdg);
    else if (n < max && home && *home)
        snprintf(dirs[n++], 1024, "%s/.local/share/lendlab/themes", home);
    if (n < max) snprintf(dirs[n++], 1024, "%s", LL_THEME_DIR);
    return n;
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

const char *tui_theme_find(const char *name_or_path, char *buf, size_t len)
{
    size_t nl = strlen(name_or_path);
    if (strchr(name_or_path, '/') || (nl > 6 && !strcmp(name_or_path + nl - 6, ".theme"))) {
        if (!is_file(name_or_path)) return NULL;
        snprintf(buf, len, "%s", name_or_path);
        return buf;
    }
    char dirs[3][1024];
    int nd = tui_theme_dirs(dirs, 3);
    for (int i = 0; i < nd; i++) {
        char p[1400];
        snprintf(p, sizeof p, "%.1023s/%.255s.theme", dirs[i], name_or_path);
        if (is_file(p)) {
            snprintf(buf, len, "%s", p);
            return buf;
        }
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tui_theme_names(char ***names)
{
    char dirs[3][1024];
    int nd = tui_theme_dirs(dirs, 3);
    char **v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d) continue;
        const struct dirent *de;
        while ((de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l <= 6 || strcmp(de->d_name + l - 6, ".theme") || de->d_name[0] == '.') continue;
            char nm[256];
            snprintf(nm, sizeof nm, "%.*s", (int)(l - 6), de->d_name);
            int dup = 0;
            for (size_t k = 0; k < n && !dup; k++) dup = !strcmp(v[k], nm);
            if (dup) continue;
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 8;
                char **nv = realloc(v, nc * sizeof *nv);
                if (!nv) break;
                v = nv;
                cap = nc;
            }
            if (!(v[n] = strdup(nm))) break;
            n++;
        }
        closedir(d);
    }
    if (n) qsort(v, n, sizeof *v, cmp_str);
    *names = v;
    return n;
}

void tui_theme_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

tui_colormode tui_colormode_pick(int has_colors, int colors, int pairs, const char *no_color)
{
    if (no_color && *no_color) return TUI_COLORS_MONO;
    if (!has_colors || colors < 8 || pairs <= TUI_SLOT_COUNT) return TUI_COLORS_MONO;
    return colors >= 256 ? TUI_COLORS_256 : TUI_COLORS_8;
}

static unsigned long curses_attrs(unsigned a)
{
    unsigned long r = 0;
    if (a & TUI_ATTR_BOLD) r |= A_BOLD;
    if (a & TUI_ATTR_DIM) r |= A_DIM;
    if (a & TUI_ATTR_UNDERLINE) r |= A_UNDERLINE;
    if (a & TUI_ATTR_REVERSE) r |= A_REVERSE;
#ifdef A_ITALIC
    if (a & TUI_ATTR_ITALIC) r |= A_ITALIC;
#endif
    return r;
}

void tui_theme_apply(const tui_theme *t, tui_colormode mode, int colors, int default_colors)
{
    for (int s = 0; s < TUI_SLOT_COUNT; s++) {
        const tui_style *st = &t->slot[s];
        unsigned a = st->attrs;
        if (mode == TUI_COLORS_MONO) {
            slot_attr[s] = curses_attrs(a | slot_mono[s]);
            continue;
        }
        int fg = st->fg, bg = st->bg;
        if (mode == TUI_COLORS_8) {
            int bf, bb;
            fg = tui_color_to8(fg, &bf);
            bg = tui_color_to8(bg, &bb);
            if (colors >= 16) {
                fg += fg >= 0 && bf ? 8 : 0;
                bg += bg >= 0 && bb ? 8 : 0;
            } else if (bf) {
                a |= TUI_ATTR_BOLD; /* 8-colour terminals show the bright half as bold */
            }
        }
        if (!default_colors) {
            if (fg < 0) fg = COLOR_WHITE;
            if (bg < 0) bg = COLOR_BLACK;
        }
        init_pair((short)(s + 1), (short)fg, (short)bg);
        slot_attr[s] = curses_attrs(a) | (unsigned long)COLOR_PAIR(s + 1);
    }
}

unsigned long tui_attr(tui_slot s)
{
    return (unsigned)s < TUI_SLOT_COUNT ? slot_attr[s] : 0;
}
