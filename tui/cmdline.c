/* cmdline: the ':' prompt's pure parts — splitting a command line, a line editor, completion. */
#include "cmdline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_word(char ***v, size_t *n, size_t *cap, const char *w, size_t wl)
{
    if (*n + 2 > *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    char *s = malloc(wl + 1);
    if (!s) return -1;
    memcpy(s, w, wl);
    s[wl] = '\0';
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
    return 0;
}

int tui_cmdline_split(const char *line, char ***argv, char *err, size_t errlen)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    size_t ll = strlen(line);
    char *word = malloc(ll + 1);
    if (!word) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        size_t wl = 0;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *q = strchr(p + 1, '\'');
                if (!q) {
                    snprintf(err, errlen, "unterminated ' quote");
                    goto fail;
                }
                memcpy(word + wl, p + 1, (size_t)(q - p - 1));
                wl += (size_t)(q - p - 1);
                p = q + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && (p[1] == '"' || p[1] == '\\')) p++;
                    word[wl++] = *p++;
                }
                if (*p != '"') {
                    snprintf(err, errlen, "unterminated \" quote");
                    goto fail;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                word[wl++] = p[1];
                p += 2;
            } else {
                word[wl++] = *p++;
            }
        }
        if (push_word(&v, &n, &cap, word, wl)) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    free(word);
    if (!v) v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *argv = v;
    return (int)n;
fail:
    free(word);
    tui_cmdline_free(v);
    return -1;
}

void tui_cmdline_free(char **argv)
{
    if (!argv) return;
    for (char **p = argv; *p; p++) free(*p);
    free(argv);
}

void tui_lineedit_clear(tui_lineedit *e)
{
    e->buf[0] = '\0';
    e->len = e->cur = 0;
    e->hpos = e->nhist;
}

void tui_lineedit_set(tui_lineedit *e, const char *s)
{
    snprintf(e->buf, sizeof e->buf, "%s", s);
    e->len = e->cur = strlen(e->buf);
}

int tui_lineedit_insert(tui_lineedit *e, const char *s, size_t n)
{
    if (e->len + n >= sizeof e->buf) return -1;
    memmove(e->buf + e->cur + n, e->buf + e->cur, e->len - e->cur + 1);
    memcpy(e->buf + e->cur, s, n);
    e->len += n;
    e->cur += n;
    return 0;
}

static int is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

static size_t prev_char(const tui_lineedit *e, size_t i)
{
    if (i > e->len) i = e->len;
    while (i > 0) {
        i--;
        if (!is_cont(e->buf[i])) break;
    }
    return i;
}

static size_t next_char(const tui_lineedit *e, size_t i)
{
    if (i >= e->len) return e->len;
    i++;
    while (i < e->len && is_cont(e->buf[i])) i++;
    return i;
}

static void cut(tui_lineedit *e, size_t from, size_t to)
{
    memmove(e->buf + from, e->buf + to, e->len - to + 1);
    e->len -= to - from;
    e->cur = from;
}

static void history_go(tui_lineedit *e, int to)
{
    if (to < 0 || to > e->nhist || to == e->hpos) return;
    if (e->hpos == e->nhist) snprintf(e->saved, sizeof e->saved, "%s", e->buf);
    e->hpos = to;
    tui_lineedit_set(e, to == e->nhist ? e->saved : e->hist[to]);
    e->hpos = to;
}

int tui_lineedit_action(tui_lineedit *e, const char *a)
{
    if (!strcmp(a, "left"))
        e->cur = prev_char(e, e->cur);
    else if (!strcmp(a, "right"))
        e->cur = next_char(e, e->cur);
    else if (!strcmp(a, "home"))
        e->cur = 0;
    else if (!strcmp(a, "end"))
        e->cur = e->len;
    else if (!strcmp(a, "delete back")) {
        if (e->cur > 0) cut(e, prev_char(e, e->cur), e->cur);
    } else if (!strcmp(a, "delete")) {
        if (e->cur < e->len) {
            size_t c = e->cur;
            cut(e, c, next_char(e, c));
        }
    } else if (!strcmp(a, "kill start"))
        cut(e, 0, e->cur);
    else if (!strcmp(a, "kill end")) {
        e->buf[e->cur] = '\0';
        e->len = e->cur;
    } else if (!strcmp(a, "kill word")) {
        size_t i = e->cur;
        while (i > 0 && e->buf[i - 1] == ' ') i--;
        while (i > 0 && e->buf[i - 1] != ' ') i--;
        cut(e, i, e->cur);
    } else if (!strcmp(a, "history prev"))
        history_go(e, e->hpos - 1);
    else if (!strcmp(a, "history next"))
        history_go(e, e->hpos + 1);
    else
        return 0;
    return 1;
}

void tui_lineedit_remember(tui_lineedit *e, const char *line)
{
    const char *p = line;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return;
    if (e->nhist && !strcmp(e->hist[e->nhist - 1], line)) {
        e->hpos = e->nhist;
        return;
    }
    char *copy = strdup(line);
    if (!copy) return;
    if (e->nhist == TUI_HISTORY_MAX) {
        free(e->hist[0]);
        memmove(e->hist, e->hist + 1, (TUI_HISTORY_MAX - 1) * sizeof *e->hist);
        e->nhist--;
    }
    e->hist[e->nhist++] = copy;
    e->hpos = e->nhist;
}

void tui_lineedit_free(tui_lineedit *e)
{
    for (int i = 0; i < e->nhist; i++) free(e->hist[i]);
    e->nhist = e->hpos = 0;
}

size_t tui_complete(const char *word, const char *const *cands, size_t n, char *out, size_t outlen)
{
    size_t wl = strlen(word), matches = 0, common = 0;
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(cands[i], word, wl)) continue;
        if (!first) {
            first = cands[i];
            common = strlen(first);
        } else {
            size_t k = 0;
            while (k < common && first[k] == cands[i][k]) k++;
            common = k;
        }
        matches++;
    }
    if (!first) {
        snprintf(out, outlen, "%s", word);
        return 0;
    }
    snprintf(out, outlen, "%.*s", (int)common, first);
    return matches;
}
